"""The one door for a person's change to a demand: `start` creates one, `act` does a human step.

Each checks who is acting, the demand's state, the step's guards and input, then makes the
whole change in one transaction: a guarded UPDATE of the demand row (whose row count decides
who won), the claim or record rows, ledger postings, the event, and the outbox row for Prefect.

The guarded UPDATE is also the transaction's first write, which on SQLite takes the write
lock at once (a transaction that reads first cannot upgrade under contention) and on
PostgreSQL locks the demand row so that every action on one demand is serialised.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from flows.core.db import in_transaction
from flows.core.i18n import N_
from flows.core.refusals import Refused
from flows.engine import records
from flows.engine.automated import run_due
from flows.engine.outcomes import Outcome
from flows.engine.permissions import active_claims, check_actor, check_guards
from flows.engine.writes import close_claims, move, outcome, record_event
from flows.people.actors import ActorContext, load_actor
from flows.reporting import tallies
from flows.workflow import registry
from flows.workflow.compiled import CompiledWorkflow
from flows.workflow.inputs import field_messages
from schemas.clock import utcnow
from schemas.settings import get_settings
from schemas.tables import Booking, Demand, Region, RegionLevel, TaskType
from schemas.workflow import DEMAND_FIELDS, AutoStep, HumanStep, StartStep


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
        raise Refused("input", fields=field_messages(exc)) from None


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
        event_id = record_event(session, demand, workflow, name, None, spec.to, actor.user_id, values, now)
        if _inline(auto):
            run_due(session, demand, workflow, now)
        return outcome(demand, workflow, name, None, event_id)

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
        raise Refused("input", fields={"ends_at": N_("结束时间不能早于开始时间")})


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
        from_state = move(session, demand, spec, actor, now)
        form = {k: v for k, v in values.items() if k != "on_behalf_of"}
        facts = records.write(session, spec.record, demand, actor, form, now, step) if spec.record else {}
        if spec.claim:
            facts["claim_id"] = records.add_claim(session, demand, actor, step, holder=spec.claim.holder,
                                                  org_id=demand.org_id, at=now)
        _count_claims(session, demand, workflow, facts, [facts["claim_id"]] if spec.claim else [], now)
        event_id = record_event(session, demand, workflow, step, from_state, demand.state, admin.user_id,
                       {**values, **facts}, now)
        if workflow.is_terminal(demand.state):
            close_claims(session, demand)
        elif _inline(auto):
            run_due(session, demand, workflow, now)
        return outcome(demand, workflow, step, from_state, event_id)

    return in_transaction(session, work)


def _count_claims(session: Session, demand: Demand, workflow: CompiledWorkflow, facts: dict[str, Any],
                  made: list[int], now: datetime) -> None:
    """Keep the claim tallies: a new claim (a claim step, or a writer that made one, such as an
    assignment) counts once; a withdrawn or released claim is taken off. Other steps that only
    name a claim (sign-in, report) count nothing."""
    category = workflow.spec.category
    for _ in made + list(facts.get("new_claims", ())):
        tallies.claim_made(session, demand, category, now)
    tallies.claims_withdrawn(session, demand, category, facts.get("withdrawn", ()))


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

