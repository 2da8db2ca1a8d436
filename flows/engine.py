"""The one door for every change to a demand.

`start` creates a demand, `act` does a human step, `advance` does the automated steps that
are due, `apply_timeout` applies a step's SLA policy. Each checks who is acting, the
demand's state, the step's guards and input, then makes the whole change in one
transaction: a guarded UPDATE of the demand row (whose row count decides who won), the
claim or record rows, ledger postings, the event, and the outbox row for Prefect.

The guarded UPDATE is also the transaction's first write, which on SQLite takes the write
lock at once (a transaction that reads first cannot upgrade under contention) and on
PostgreSQL locks the demand row so that every action on one demand is serialised.
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Mapping

from pydantic import BaseModel, ValidationError
from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from schemas.settings import get_settings
from schemas.tables import Booking, Claim, ClaimStatus, Demand, Region, RegionLevel, TaskType
from schemas.workflow import DEMAND_FIELDS, AutoStep, CompleteWith, HumanStep, StartStep

from . import effects, journal, records, registry, tallies
from .actors import ActorContext, load_actor
from .compiled import CompiledWorkflow
from .db import in_transaction
from .forms import field_errors
from .outcomes import Outcome, Refused
from .permissions import active_claims, check_actor, check_guards

MAX_RETRIES = 3


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _actor(session: Session, actor: ActorContext | int) -> ActorContext:
    if isinstance(actor, ActorContext):
        return actor
    context = load_actor(session, actor)
    if context is None:
        raise Refused("role")
    return context


def _validate(workflow: CompiledWorkflow, step: str, data: Mapping[str, Any]) -> BaseModel:
    try:
        return workflow.inputs[step].model_validate(dict(data))
    except ValidationError as exc:
        raise Refused("input", fields=field_errors(exc), fields_en=field_errors(exc, "en")) from None


def _inline(auto: bool | None) -> bool:
    return get_settings().auto_steps == "inline" if auto is None else auto


# ---- start -------------------------------------------------------------------------------

def start(session: Session, actor: ActorContext | int, task_type_id: int, data: Mapping[str, Any], *,
          community_id: int | None = None, slot_id: int | None = None, step: str | None = None,
          now: datetime | None = None, auto: bool | None = None) -> Outcome:
    """Create a demand of a task type with its workflow's start step; pinned to the latest version."""
    now = now or utcnow()
    actor = _actor(session, actor)
    task_type = session.get(TaskType, task_type_id)
    if task_type is None or not task_type.is_active:
        raise Refused("task_type")
    version, workflow = registry.load_latest(session, task_type.workflow_id)
    starts = workflow.start_steps()
    name = step or next(iter(starts))
    if name not in starts:
        raise Refused("no_step", {"step": name})
    spec: StartStep = starts[name]
    slot_service = None
    if spec.record == "booking":
        slot_service = _slot_service(session, slot_id)
        community_id = slot_service.community_id
    community = session.get(Region, community_id) if community_id else None
    if community is None or community.level is not RegionLevel.COMMUNITY:
        raise Refused("community")
    if task_type.district_id is not None and f"/{task_type.district_id}/" not in community.path:
        raise Refused("task_type")  # another district's kind of demand
    refusal = check_actor(actor, spec.by, community_id=community.id, community_path=community.path,
                          demand=None, claims=[])
    if refusal:
        raise Refused(refusal.code, refusal.params)
    values = _validate(workflow, name, data).model_dump(mode="json")

    def work() -> Outcome:
        demand = Demand(task_type_id=task_type.id, workflow_id=workflow.id, workflow_version=version.version,
                        workflow_hash=workflow.content_hash, state=spec.to, state_since=now,
                        community_id=community.id, requester_id=actor.user_id, title=task_type.name)
        _fill_demand(demand, values)
        if slot_service is not None:
            slot = records.book_slot(session, slot_id, actor.user_id)
            demand.starts_at, demand.ends_at = slot.starts_at, slot.ends_at
            demand.place = demand.place or slot_service.name
        session.add(demand)
        session.flush()
        if slot_service is not None:
            session.add(Booking(slot_id=slot_id, user_id=actor.user_id, demand_id=demand.id))
            session.flush()
        event_id = _event(session, demand, workflow, name, None, spec.to, actor.user_id, values, now)
        if _inline(auto):
            _advance(session, demand, workflow, now)
        return _outcome(demand, workflow, name, None, event_id)

    return in_transaction(session, work)


def _slot_service(session: Session, slot_id: int | None):
    from schemas.tables import AppointmentService, AppointmentSlot

    slot = session.get(AppointmentSlot, slot_id) if slot_id else None
    service = session.get(AppointmentService, slot.service_id) if slot else None
    if service is None or not service.is_active:
        raise Refused("slot")
    return service


def _fill_demand(demand: Demand, values: dict[str, Any]) -> None:
    """Form fields named like the demand's columns fill them; the rest is kept as data."""
    extra = {}
    for key, value in values.items():
        if key not in DEMAND_FIELDS or value is None:
            extra[key] = value
        elif key == "location":
            demand.lat, demand.lng = value["lat"], value["lng"]
        elif key in ("starts_at", "ends_at"):
            setattr(demand, key, datetime.fromisoformat(value))
        else:
            setattr(demand, key, value)
    demand.data = extra
    if demand.starts_at and demand.ends_at and demand.ends_at < demand.starts_at:
        raise Refused("input", fields={"ends_at": "结束时间不能早于开始时间"})


# ---- act ---------------------------------------------------------------------------------

def act(session: Session, actor: ActorContext | int, demand_id: int, step: str, data: Mapping[str, Any] | None = None,
        *, now: datetime | None = None, auto: bool | None = None, on_behalf_of: int | None = None) -> Outcome:
    """Do human step `step` on a demand, or raise Refused with nothing written.

    `on_behalf_of`: a community admin confirms a participant's own step (sign-in, sign-out)
    for them, as the paper sign-in sheet used to; the event records both people.
    """
    now = now or utcnow()
    actor = _actor(session, actor)
    admin = actor
    if on_behalf_of is not None:
        demand_row = session.get(Demand, demand_id)
        community = session.get(Region, demand_row.community_id) if demand_row else None
        if community is None or not admin.in_scope("community_admin", community.path):
            raise Refused("role")
        actor = _actor(session, on_behalf_of)
    demand = session.get(Demand, demand_id)
    if demand is None:
        raise Refused("not_found")
    workflow = registry.load(session, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
    spec = workflow.step(step)
    if spec is None or isinstance(spec, StartStep):
        raise Refused("no_step", {"step": step})
    if isinstance(spec, AutoStep):
        raise Refused("not_human", {"step": spec.title})
    if on_behalf_of is not None and spec.by.relation != "claimant":
        raise Refused("role")  # only a participant's own steps can be confirmed for them
    _check(session, actor, demand, workflow, spec)
    values = _validate(workflow, step, data or {}).model_dump(mode="json")
    if on_behalf_of is not None:
        values["on_behalf_of"] = on_behalf_of
    def work() -> Outcome:
        from_state = _move(session, demand, spec, actor, now)
        form = {k: v for k, v in values.items() if k != "on_behalf_of"}
        facts = records.write(session, spec.record, demand, actor, form, now, step) if spec.record else {}
        if spec.claim:
            facts["claim_id"] = records.add_claim(session, demand, actor, step, holder=spec.claim.holder,
                                                  org_id=demand.org_id, at=now)
        if "claim_id" in facts:
            tallies.claim_made(session, demand, now)
        event_id = _event(session, demand, workflow, step, from_state, demand.state, admin.user_id,
                       {**values, **facts}, now)
        if workflow.is_terminal(demand.state):
            _close_claims(session, demand)
        elif _inline(auto):
            _advance(session, demand, workflow, now)
        return _outcome(demand, workflow, step, from_state, event_id)

    return in_transaction(session, work)


def _check(session: Session, actor: ActorContext, demand: Demand, workflow: CompiledWorkflow,
           spec: HumanStep) -> None:
    """Refuse early, before any write, with the most useful reason."""
    community = session.get(Region, demand.community_id)
    # The claims are read only when the answer depends on them: a claimant's own step, or a
    # second sign-up while places remain (a first claim on a single-place demand is the hot path).
    needs_claims = spec.by.relation == "claimant" or bool(spec.claim and spec.claim.capacity == "demand")
    claims = active_claims(session, demand.id) if needs_claims else []
    refusal = check_actor(actor, spec.by, community_id=demand.community_id, community_path=community.path,
                          demand=demand, claims=claims)
    if refusal:
        raise Refused(refusal.code, refusal.params)
    if demand.state not in spec.sources:
        if spec.claim and not workflow.is_terminal(demand.state):
            raise Refused("taken")
        raise Refused("state", {"state": workflow.state_title(demand.state), "step": spec.title})
    if spec.claim and spec.claim.holder == "member" and any(c.user_id == actor.user_id for c in claims):
        raise Refused("duplicate")
    if spec.claim and spec.claim.capacity == "demand" and demand.taken >= demand.capacity:
        raise Refused("full")
    refusal = check_guards(session, actor, spec.guards, demand)
    if refusal:
        raise Refused(refusal.code, refusal.params)


_MOVED = ("state", "state_since", "rev", "taken", "org_id")


def _move(session: Session, demand: Demand, spec: HumanStep, actor: ActorContext, now: datetime) -> str:
    """The guarded UPDATE: move (or just touch) the demand if it is still where it was.

    Returns the state it left. Zero rows means another action won: say which, plainly.
    """
    moves = spec.to is not None and spec.to not in spec.sources
    takes = bool(spec.claim and spec.claim.holder == "member") or spec.record == "assign"
    org_id = None
    if spec.claim and spec.claim.holder == "org":
        orgs = actor.orgs_registered_with(demand.community_id)
        if not orgs:
            raise Refused("scope")
        org_id = orgs[0]
    statement = _guarded_update(moves, takes, org_id is not None, bool(spec.claim and spec.claim.capacity == "demand"))
    for _ in range(MAX_RETRIES):
        observed = demand.state
        row = session.execute(statement, {"demand_id": demand.id, "observed": observed, "to": spec.to,
                                          "since": now, "org": org_id}).one_or_none()
        if row is not None:  # won: take the new values without reading the row again
            for key, value in zip(_MOVED, row):
                set_committed_value(demand, key, value)
            return observed
        session.refresh(demand)
        if demand.state not in spec.sources:
            raise Refused("taken" if spec.claim else "state",
                          {"state": demand.state, "step": spec.title})
        if spec.claim and spec.claim.capacity == "demand" and demand.taken >= demand.capacity:
            raise Refused("full")
    raise Refused("state", {"state": demand.state, "step": spec.title})


@lru_cache(maxsize=None)
def _guarded_update(moves: bool, takes: bool, sets_org: bool, within_capacity: bool):
    """The UPDATE for one shape of step, built once (16 shapes at most): building it per
    action cost more than running it."""
    table = Demand.__table__
    values: dict[str, Any] = {"rev": table.c.rev + 1}
    if moves:
        values.update(state=bindparam("to"), state_since=bindparam("since"))
    if takes:
        values["taken"] = table.c.taken + 1
    if sets_org:
        values["org_id"] = bindparam("org")
    where = [table.c.id == bindparam("demand_id"), table.c.state == bindparam("observed")]
    if within_capacity:
        where.append(table.c.taken < table.c.capacity)
    return update(table).where(*where).values(**values).returning(*(table.c[key] for key in _MOVED))


def _event(session: Session, demand: Demand, workflow: CompiledWorkflow, step: str, from_state: str | None,
           to_state: str, actor_id: int | None, data: dict[str, Any], now: datetime) -> int:
    if to_state == "done" and from_state != "done":
        tallies.demand_done(session, demand, now)
    return journal.record(
        session, subject="demand", subject_id=demand.id, demand_id=demand.id, step=step, from_state=from_state,
        to_state=to_state, actor_id=actor_id, data=data, at=now, topic=f"yijia.demand.{step}",
        payload={"workflow": workflow.id, "version": demand.workflow_version, "community_id": demand.community_id},
    )


def _outcome(demand: Demand, workflow: CompiledWorkflow, step: str, from_state: str | None, event_id: int) -> Outcome:
    return Outcome(demand_id=demand.id, step=step, step_title=workflow.spec.steps[step].title, from_state=from_state,
                   to_state=demand.state, state_title=workflow.state_title(demand.state), event_id=event_id)


def _close_claims(session: Session, demand: Demand) -> None:
    session.execute(update(Claim).where(Claim.demand_id == demand.id, Claim.status == ClaimStatus.ACTIVE)
                    .values(status=ClaimStatus.DONE).execution_options(synchronize_session=False))


# ---- automated steps ---------------------------------------------------------------------

def _advance(session: Session, demand: Demand, workflow: CompiledWorkflow, now: datetime) -> list[int]:
    """Do every automated step now due, each guarded like a human step; returns event ids."""
    events = []
    for _ in range(len(workflow.spec.steps)):
        due = workflow.auto_step_from(demand.state)
        if due is None:
            break
        name, spec = due
        done = session.execute(update(Demand).where(Demand.id == demand.id, Demand.state == spec.from_)
                               .values(state=spec.to, state_since=now, rev=Demand.rev + 1)
                               .execution_options(synchronize_session=False)).rowcount
        session.refresh(demand)
        if done != 1:
            break  # another worker advanced it first: nothing left for us to do
        credited: list[dict[str, Any]] = []
        for index, effect in enumerate(spec.effects):
            if hasattr(effect, "points"):
                credited += effects.award(session, demand, workflow, name, index, effect.points)
            else:
                effects.notify(session, demand, effect.notify, name)
        events.append(_event(session, demand, workflow, name, spec.from_, spec.to, None,
                             {"credited": credited}, now))
        if workflow.is_terminal(demand.state):
            _close_claims(session, demand)
    return events


def advance(session: Session, demand_id: int, *, now: datetime | None = None) -> list[int]:
    """Run the automated steps due on a demand and commit; safe to call any number of times."""
    now = now or utcnow()
    demand = session.get(Demand, demand_id)
    if demand is None:
        raise Refused("not_found")
    workflow = registry.load(session, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
    if workflow.auto_step_from(demand.state) is None:
        session.rollback()
        return []
    return in_transaction(session, lambda: _advance(session, demand, workflow, now))


# ---- SLAs --------------------------------------------------------------------------------

def apply_timeout(session: Session, demand_id: int, step: str, *, now: datetime | None = None) -> str | None:
    """Apply `step`'s SLA policy if the demand still waits for it past its deadline.

    Returns what was done ("escalate", "cancel", "complete") or None when nothing was due;
    safe to call twice (the automation and the monitor may both try).
    """
    now = now or utcnow()
    demand = session.get(Demand, demand_id)
    if demand is None:
        return None
    workflow = registry.load(session, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
    spec = workflow.step(step)
    if not isinstance(spec, HumanStep) or spec.sla is None or demand.state not in spec.sources:
        session.rollback()
        return None
    if demand.state_since + spec.sla.within > now:
        session.rollback()
        return None
    policy = spec.sla.then
    if isinstance(policy, CompleteWith):
        try:
            act(session, ActorContext.system(), demand_id, step, policy.complete_with, now=now)
        except Refused:
            return _escalate(session, demand, workflow, step, now)
        return "complete"
    if policy == "cancel":
        return _cancel(session, demand, workflow, step, now)
    return _escalate(session, demand, workflow, step, now)


def _escalate(session: Session, demand: Demand, workflow: CompiledWorkflow, step: str, now: datetime) -> str | None:
    def work() -> str | None:
        done = session.execute(update(Demand).where(Demand.id == demand.id, Demand.state == demand.state,
                                                    Demand.escalated_at.is_(None))
                               .values(escalated_at=now).execution_options(synchronize_session=False)).rowcount
        if done != 1:
            return None
        session.refresh(demand)
        journal.record(session, subject="demand", subject_id=demand.id, demand_id=demand.id, step=f"{step}:overdue",
                       from_state=demand.state, to_state=demand.state, actor_id=None, at=now,
                       data={"policy": "escalate"}, topic="yijia.demand.overdue",
                       payload={"workflow": workflow.id, "waiting_for": step, "community_id": demand.community_id})
        return "escalate"

    return in_transaction(session, work)


def _cancel(session: Session, demand: Demand, workflow: CompiledWorkflow, step: str, now: datetime) -> str | None:
    def work() -> str | None:
        observed = demand.state
        done = session.execute(update(Demand).where(Demand.id == demand.id, Demand.state == observed)
                               .values(state="cancelled", state_since=now, rev=Demand.rev + 1)
                               .execution_options(synchronize_session=False)).rowcount
        if done != 1:
            return None
        session.refresh(demand)
        _event(session, demand, workflow, f"{step}:timeout", observed, "cancelled", None, {"policy": "cancel"}, now)
        _close_claims(session, demand)
        return "cancel"

    return in_transaction(session, work)
