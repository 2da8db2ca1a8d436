"""Task types, workflow versions, demands and what happens to them: claims, service
records, evaluations, the append-only event log, and the outbox for Prefect."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from schemas.tables.base import Base, created_at, str_enum

if TYPE_CHECKING:
    from schemas.tables.regions import Region

# SQLite only auto-increments INTEGER PRIMARY KEY; BigInteger stays 64-bit on PostgreSQL.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class TaskCategory(str, enum.Enum):
    """The programme's kinds of demand, as the report names them."""

    MICRO_WISH = "micro_wish"
    ACTIVITY = "activity"
    VOLUNTEER = "volunteer"
    APPOINTMENT = "appointment"
    URGENT = "urgent"


class TaskType(Base):
    """What admins edit: a named kind of demand of a district (or the whole city when
    `district_id` is NULL), its workflow and its point rules.

    Codes are unique within a district, so every district may have its own `micro_wish`; the
    city-wide types' codes are unique among themselves (a partial unique index). `per_hour` and
    `rating_factors` (rating → multiplier) override the workflow's points rules for this type's
    demands, within the bounds the city sets (PointPolicy); NULL keeps the workflow's own.
    """

    __tablename__ = "task_types"
    __table_args__ = (
        CheckConstraint("default_points >= 0 AND default_points <= 100000", name="points_range"),
        CheckConstraint("per_hour IS NULL OR (per_hour >= 0 AND per_hour <= 10000)", name="per_hour_range"),
        UniqueConstraint("district_id", "code"),
        Index("uq_task_types_city_code", "code", unique=True, sqlite_where=text("district_id IS NULL"),
              postgresql_where=text("district_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(48))
    name: Mapped[str] = mapped_column(String(64))
    category: Mapped[TaskCategory] = mapped_column(str_enum(TaskCategory))
    default_points: Mapped[int] = mapped_column(default=10)
    per_hour: Mapped[float | None]
    rating_factors: Mapped[dict[str, Any] | None]
    workflow_id: Mapped[str] = mapped_column(String(64))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    description: Mapped[str | None] = mapped_column(Text)


class WorkflowVersion(Base):
    """A published workflow text; versions are never edited, so running demands stay pinned.

    Each version belongs to a *line*: the city's templates (`district_id` NULL) or one
    district's own versions. A district without versions of its own follows the city's line;
    once it adopts or publishes one, its new demands run on its own line only. Version numbers
    are counted per workflow across all lines, so (workflow, version) names one text."""

    __tablename__ = "workflow_versions"
    __table_args__ = (
        UniqueConstraint("workflow_id", "version"),
        Index("ix_workflow_versions_line", "workflow_id", "district_id", "version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int]
    district_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(String(255))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at()


class Demand(Base):
    """A need, activity or micro-wish, moving through the workflow version it started on.

    `state` changes only through the engine, by a conditional UPDATE; `taken` counts active
    claims and the CHECK keeps it within `capacity` even if two writers race.
    """

    __tablename__ = "demands"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workflow_id", "workflow_version"],
            ["workflow_versions.workflow_id", "workflow_versions.version"],
        ),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("taken >= 0 AND taken <= capacity", name="taken_within_capacity"),
        # the hall (flows.engine.hall): per community or grabbing organisation and open state,
        # one range in start order, read only as far as the page it shows
        Index("ix_demands_hall", "community_id", "state", "starts_at", "id"),
        Index("ix_demands_org_hall", "org_id", "state", "starts_at", "id"),
        # … and the untimed ones newest first: `starts_at IS NULL` is no equality to the planner,
        # so the index above cannot give them in id order, and PostgreSQL walked the primary key
        # backwards through a province's two million demands instead (480 ms for a hall)
        Index("ix_demands_hall_undated", "community_id", "state", "id",
              sqlite_where=text("starts_at IS NULL"), postgresql_where=text("starts_at IS NULL")),
        Index("ix_demands_org_hall_undated", "org_id", "state", "id",
              sqlite_where=text("starts_at IS NULL"), postgresql_where=text("starts_at IS NULL")),
        Index("ix_demands_state_since", "state", "state_since"),
        # the stuck-cases monitor: one ordered range per (workflow, waiting state)
        Index("ix_demands_workflow_state_since", "workflow_id", "state", "state_since"),
        # reminders and confirmations (flows.engine.reminders): one range of start times per pass
        Index("ix_demands_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_type_id: Mapped[int] = mapped_column(ForeignKey("task_types.id"), index=True)
    workflow_id: Mapped[str] = mapped_column(String(64))
    workflow_version: Mapped[int]
    workflow_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(32))
    state_since: Mapped[datetime] = created_at()
    rev: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(128))
    description: Mapped[str | None] = mapped_column(Text)
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    place: Mapped[str | None] = mapped_column(String(255))
    lat: Mapped[float | None]
    lng: Mapped[float | None]
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    capacity: Mapped[int] = mapped_column(default=1)
    taken: Mapped[int] = mapped_column(default=0)
    required_skills: Mapped[list[str]] = mapped_column(default=list)
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    escalated_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()

    # Read-only; loaded with the demand on the action path so its path is at hand for the checks.
    community: Mapped[Region] = relationship(viewonly=True, lazy="select")


class Escalation(Base):
    """A step that waited past its SLA during one stay of the demand in the step's state,
    escalated once to the people responsible (`targets`).

    The stay is `entered_at` (the demand's `state_since` when it arrived), so the mark belongs
    to that step and that stay: once the demand moves on it is history, and the next overdue
    step escalates in its own right. The unique key makes "once" hold under any number of
    monitors and automations."""

    __tablename__ = "escalations"
    __table_args__ = (UniqueConstraint("demand_id", "step", "entered_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("demands.id"), index=True)
    step: Mapped[str] = mapped_column(String(48))
    state: Mapped[str] = mapped_column(String(32))
    entered_at: Mapped[datetime]
    due_at: Mapped[datetime]
    escalated_at: Mapped[datetime]
    # [{"role": "community_admin", "region_id": 7}, {"user_id": 42}, ...]: who must act or see to it
    targets: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class ClaimStatus(str, enum.Enum):
    """A claim is active until it is withdrawn or the demand ends."""

    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    DONE = "done"


class Claim(Base):
    """An organisation's grab or a person's claim/sign-up on a demand; one active per holder."""

    __tablename__ = "claims"
    __table_args__ = (
        # one active claim per holder: a member who withdrew may sign up again
        Index("uq_claims_active_user", "demand_id", "user_id", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
        Index("uq_claims_active_org", "demand_id", "org_id", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
        CheckConstraint("user_id IS NOT NULL OR org_id IS NOT NULL", name="has_holder"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("demands.id"), index=True)
    step: Mapped[str] = mapped_column(String(48))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[ClaimStatus] = mapped_column(str_enum(ClaimStatus), default=ClaimStatus.ACTIVE)
    created_at: Mapped[datetime] = created_at()
    # When the holder confirmed their place (a claim step's `confirm:`); NULL until then.
    confirmed_at: Mapped[datetime | None]


class ServiceRecord(Base):
    """What a member did on a demand: sign-in/out times, hours, proof (replaces paper sheets)."""

    __tablename__ = "service_records"
    __table_args__ = (
        UniqueConstraint("claim_id"),
        CheckConstraint("hours IS NULL OR (hours >= 0 AND hours <= 10000)", name="hours_range"),
        CheckConstraint(
            "signed_out_at IS NULL OR signed_in_at IS NULL OR signed_out_at >= signed_in_at",
            name="out_after_in",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    demand_id: Mapped[int] = mapped_column(ForeignKey("demands.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    signed_in_at: Mapped[datetime | None]
    signed_out_at: Mapped[datetime | None]
    hours: Mapped[float | None] = mapped_column(Numeric(7, 2, asdecimal=False))
    note: Mapped[str | None] = mapped_column(Text)
    proof: Mapped[str | None] = mapped_column(String(255), index=True)  # a proof file's record, by its key
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Evaluation(Base):
    """A rating of the service on a demand, by the resident or the community."""

    __tablename__ = "evaluations"
    __table_args__ = (
        UniqueConstraint("demand_id", "by_user_id"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("demands.id"), index=True)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rating: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = created_at()


class Event(Base):
    """One line of the append-only log: who did which step, from which state to which.

    Database triggers refuse UPDATE and DELETE, so history cannot be rewritten quietly.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_demand", "demand_id", "id"),
        Index("ix_events_subject", "subject", "subject_id"),
        Index("uq_events_request_key", "request_key", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    demand_id: Mapped[int | None] = mapped_column(ForeignKey("demands.id"))
    subject: Mapped[str] = mapped_column(String(24), default="demand")
    subject_id: Mapped[int]
    step: Mapped[str] = mapped_column(String(48))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = created_at()
    # The one-time key of the form that caused it (`<user>:<key>`): a form sent again is done once.
    request_key: Mapped[str | None] = mapped_column(String(96))


class Outbox(Base):
    """A committed event waiting to be delivered to Prefect; written in the action's transaction."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "delivered_at", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    topic: Mapped[str] = mapped_column(String(64))
    demand_id: Mapped[int | None] = mapped_column(ForeignKey("demands.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]
    # the worker delivering it now and until when (flows/orchestration/relay.py `take`): a
    # demand's rows are with one worker at a time; a worker that dies lets them go at expiry
    leased_by: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()
