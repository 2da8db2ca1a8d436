"""Requesting a shared resource: a demand of the district's resource request workflow (the task
type whose start step books a resource), started through the engine with the resource, so the
time range is held in the same transaction (flows.sharing.bookings) and the owner answers it
as a step of the demand. The web's request form and the API both come here."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, true
from sqlalchemy.orm import Session

from flows import engine
from flows.core.refusals import Refused
from flows.engine.menu import resource_task_type
from flows.engine.outcomes import Outcome
from flows.people.actors import ActorContext
from flows.people.regions import district_id
from flows.sharing.bookings import organises
from flows.workflow import registry
from schemas.tables import Demand, Region, Resource, TaskCategory, TaskType

FIELDS = ("title", "starts_at", "ends_at", "capacity", "for_demand", "note")  # what a request form sends
PICK_AT_MOST = 20  # activities offered to a request form, the soonest first


def request_type(session: Session, resource_id: int) -> tuple[Resource, TaskType]:
    """The active resource and the task type its request starts (of its district, else the
    city's); Refused `resource.not_found` when either is missing."""
    shared = session.get(Resource, resource_id)
    community = session.get(Region, shared.community_id) if shared is not None and shared.is_active else None
    task_type = resource_task_type(session, district_id(community.path)) if community is not None else None
    if shared is None or task_type is None:
        raise Refused("resource.not_found")
    return shared, task_type


def request(session: Session, actor: ActorContext, resource_id: int, values: Mapping[str, Any], *,
            request_key: str | None = None, now: datetime | None = None) -> Outcome:
    """Request a time of the resource (the form's `FIELDS`); the engine refuses a taken, closed
    or past range, and answers a replayed `request_key` with the first outcome."""
    shared, task_type = request_type(session, resource_id)
    data = {k: values[k] for k in FIELDS if values.get(k) not in (None, "")}
    return engine.start(session, actor, task_type.id, data, resource_id=shared.id, request_key=request_key, now=now)


def activities_for(session: Session, actor: ActorContext, resource: Resource, now: datetime) -> list[Demand]:
    """The activities a request for `resource` may be for, as a choice on its form: of the
    resource's community, not over and not closed, that `actor` organises
    (`flows.sharing.bookings.organises`, the rule the engine applies when the request is made)."""
    community = session.get(Region, resource.community_id)
    if community is None:
        return []
    mine = [Demand.requester_id == actor.user_id]
    if actor.org_admin_of:
        mine.append(Demand.org_id.in_(sorted(actor.org_admin_of)))
    rows = session.scalars(
        select(Demand).join(TaskType, TaskType.id == Demand.task_type_id)
        .where(Demand.community_id == community.id, Demand.starts_at.is_not(None), Demand.ends_at > now,
               TaskType.category.in_([TaskCategory.ACTIVITY, TaskCategory.VOLUNTEER]),
               true() if actor.in_scope("community_admin", community.path) else or_(*mine))
        .order_by(Demand.starts_at, Demand.id).limit(PICK_AT_MOST * 2)).all()
    open_ = [d for d in rows if not registry.load(session, d.workflow_id, d.workflow_version, d.workflow_hash)
             .is_terminal(d.state) and organises(actor, d, community.path)]
    return open_[:PICK_AT_MOST]
