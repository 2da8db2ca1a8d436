"""The one door for a person's change to a demand: `start` creates one, `act` does a human step.

Each checks who is acting, the demand's state, the step's guards and input, then makes the
whole change in one transaction: a guarded UPDATE of the demand row (whose row count decides
who won), the claim or record rows, ledger postings, the event, and the outbox row for Prefect.

The guarded UPDATE is also the transaction's first write, which on SQLite takes the write
lock at once (a transaction that reads first cannot upgrade under contention) and on
PostgreSQL locks the demand row so that every action on one demand is serialised.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from flows.core.db import in_transaction
from flows.core.i18n import N_
from flows.core.moments import said_now
from flows.core.refusals import Refused
from flows.engine import attendance, effects, records, replays, times
from flows.engine.automated import run_due
from flows.engine.claims import active_claims, own_place_held
from flows.engine.outcomes import Outcome
from flows.engine.permissions import (
    check_actor,
    check_guards,
    check_held_guards,
    hold_actor,
    local_text,
    needs_actor_held,
)
from flows.engine.writes import close_claims, lost, lost_code, move, outcome, record_event
from flows.people.actors import ActorContext, load_actor
from flows.people.regions import district_id
from flows.reporting import tallies
from flows.sharing import bookings as resource_bookings
from flows.workflow import registry
from flows.workflow.compiled import CompiledWorkflow
from flows.workflow.inputs import field_messages, span_messages
from schemas.clock import utcnow
from schemas.settings import get_settings
from schemas.tables import AppointmentService, AppointmentSlot, Demand, Region, RegionLevel, Resource, TaskType
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
        values = workflow.inputs[step].model_validate(dict(data))
    except ValidationError as exc:
        raise Refused("input", fields=field_messages(exc)) from None
    spec, spec_en = workflow.source.step(step), workflow.source.in_language("en").step(step)
    form = getattr(spec, "form", None) or {}
    spans = span_messages(form, getattr(spec_en, "form", None) or form, values)
    if spans:
        raise Refused("input", fields=spans)
    return values


def _inline(auto: bool | None) -> bool:
    return get_settings().auto_steps == "inline" if auto is None else auto


# ---- start -------------------------------------------------------------------------------

def start(session: Session, actor: ActorContext | int, task_type_id: int, data: Mapping[str, Any], *,
          community_id: int | None = None, slot_id: int | None = None, step: str | None = None,
          now: datetime | None = None, auto: bool | None = None, on_behalf_of: int | None = None,
          request_key: str | None = None, resource_id: int | None = None) -> Outcome:
    """Create a demand of a task type with its workflow's start step, pinned to the newest
    version of the line of the community's district (its own, or the city's templates).

    `on_behalf_of` (代办): a community admin starts it for a person without a phone; that
    person must be whom the start step names and stays the requester, the event records the
    admin as the actor.
    `request_key`: the form's one-time key; sent again, the first outcome is answered and
    nothing is created twice (see flows.engine.replays).
    `resource_id`: for a `record: resource_booking` start, the shared resource whose time range
    (the form's `starts_at`–`ends_at`) the demand books; its community is the resource's."""
    now = now or utcnow()
    actor = _actor(session, actor)
    key = replays.scoped(actor.user_id, request_key)
    return _once(session, key, lambda: _start(session, actor, task_type_id, data, community_id=community_id,
                                              slot_id=slot_id, step=step, now=now, auto=auto, key=key,
                                              on_behalf_of=on_behalf_of, resource_id=resource_id))


def _start(session: Session, actor: ActorContext, task_type_id: int, data: Mapping[str, Any], *,
           community_id: int | None, slot_id: int | None, step: str | None, now: datetime, auto: bool | None,
           key: str | None, on_behalf_of: int | None, resource_id: int | None = None) -> Outcome:
    admin = actor
    task_type = session.get(TaskType, task_type_id)
    if task_type is None or not task_type.is_active:
        raise Refused("task_type")
    # A booking's community is the booked service's; the community decides the district, and
    # the district the line of versions the demand runs on.
    booked = _slot_service(session, slot_id) if slot_id else None
    if booked is not None:
        community_id = booked[1].community_id
    shared = session.get(Resource, resource_id) if resource_id else None
    if resource_id is not None and (shared is None or not shared.is_active):
        raise Refused("resource.not_found")
    if shared is not None:
        community_id = shared.community_id
    community = session.get(Region, community_id) if community_id else None
    if community is None or community.level is not RegionLevel.COMMUNITY:
        raise Refused("community")
    if task_type.district_id is not None and district_id(community.path) != task_type.district_id:
        raise Refused("task_type")  # another district's kind of demand
    version, workflow = registry.load_latest(session, task_type.workflow_id, district_id(community.path))
    starts = workflow.start_steps()
    name = step or next(iter(starts))
    if name not in starts:
        raise Refused("no_step", {"step": name})
    spec: StartStep = starts[name]
    if spec.record == "booking" and booked is None:
        raise Refused("slot")
    if (spec.record == "resource_booking") != (shared is not None):
        raise Refused("resource.not_found")  # a resource is booked by a resource request only
    if shared is not None and shared.org_id is None and all(
            s.by.relation in _NO_ONE_WITHOUT_AN_ORG for s in workflow.human_steps_from(spec.to).values()):
        # a community's own resource is answered by `holder` (or community admin) steps; a
        # district's line from before them (claiming_org_admin) would hold the time with nobody
        # to answer it but the requester
        raise Refused("resource.no_answerer")
    slot_service: AppointmentService | None = None
    if spec.record == "booking" and booked is not None:
        slot, slot_service = booked
        if actor.user_id is None:
            raise Refused("role")  # a booking is a person's
    if on_behalf_of is not None:
        if not admin.in_scope("community_admin", community.path):
            raise Refused("role")
        actor = _actor(session, on_behalf_of)
    refusal = check_actor(actor, spec.by, community_id=community.id, community_path=community.path,
                          demand=None, claims=[])
    if refusal:
        raise Refused(refusal.code, refusal.params)
    if slot_service is not None and records.holds_slot(session, slot_id, actor.user_id):
        raise Refused("slot_held")  # the plain answer; the partial unique index decides a race
    clash = records.clashing_booking(session, slot, actor.user_id) if slot_service is not None else None
    if clash is not None:
        raise Refused("slot_clash", {"service": clash[0], "start": said_now(clash[1])})
    joined = records.clashing_claim(session, slot, actor.user_id) if slot_service is not None else None
    if joined is not None:
        raise Refused("slot_clash_claim", {"title": joined[0], "start": said_now(joined[1])})
    values = _validate(workflow, name, data).model_dump(mode="json")
    span = resource_bookings.check_range(_when(values.get("starts_at")), _when(values.get("ends_at")),
                                         now) if shared is not None else None  # its own words for a past range
    facts = {"on_behalf_of": actor.user_id} if on_behalf_of is not None else {}
    if key is not None and slot_service is None:  # a booking is answered by the slot it holds
        again = replays.same_form(session, actor_id=admin.user_id, step=name, values=values, now=now,
                                  task_type_id=task_type.id, requester_id=actor.user_id, ignore=_images(spec.form))
        if again is not None:
            return again  # sent again after its time passed: answered as the first time, not refused
    # the demand's own time, as the form set it (a booking's comes from its slot, later)
    times.refuse_out_of_reach({k: _when(values.get(k)) for k, kind in DEMAND_FIELDS.items() if kind == "datetime"}, now)

    def work() -> Outcome:
        # the resource row is locked as the transaction's first write (flows.sharing.bookings)
        resource = resource_bookings.hold(session, shared.id, *span) if shared is not None and span else None
        demand = Demand(task_type_id=task_type.id, workflow_id=workflow.id, workflow_version=version.version,
                        workflow_hash=version.content_hash, state=spec.to, state_since=now,
                        community_id=community.id, requester_id=actor.user_id, title=task_type.name)
        _fill_demand(demand, values)
        if slot_service is not None:
            booked = records.book_slot(session, slot.id)
            demand.starts_at, demand.ends_at = booked.starts_at, booked.ends_at
            # served where the service is given, its community (the service's name is the title's)
            demand.place = demand.place or session.get_one(Region, slot_service.community_id).name
        if resource is not None:  # the owner holds the request, as a claiming organisation would
            demand.org_id = resource.org_id
            demand.place = demand.place or resource.name
        session.add(demand)
        session.flush()
        if slot_service is not None:
            records.add_booking(session, slot.id, actor.user_id, demand.id)
        if resource is not None and span is not None:
            for_demand = values.get("for_demand")
            resource_bookings.add(session, admin, resource, demand, *span, int(for_demand) if for_demand else None)
        event_id = record_event(session, demand, workflow, name, None, spec.to, admin.user_id,
                                {**values, **facts}, now, request_key=key)
        if spec.notify:
            effects.notify(session, demand, spec.notify, name, workflow, event_id, values)
        if _inline(auto):
            run_due(session, demand, workflow, now)
        return outcome(demand, workflow, name, None, event_id)

    return in_transaction(session, work)


# who cannot answer a request no organisation holds (and no one has claimed)
_NO_ONE_WITHOUT_AN_ORG = ("claiming_org", "requester", "claimant")


def _slot_service(session: Session, slot_id: int | None) -> tuple[AppointmentSlot, AppointmentService]:
    """The slot to book and its service, or Refused("slot") when either is missing or closed."""
    slot = session.get(AppointmentSlot, slot_id) if slot_id else None
    service = session.get(AppointmentService, slot.service_id) if slot else None
    if slot is None or service is None or not service.is_active:
        raise Refused("slot")
    return slot, service


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


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
        *, now: datetime | None = None, auto: bool | None = None, on_behalf_of: int | None = None,
        request_key: str | None = None, present: bool = False) -> Outcome:
    """Do human step `step` on a demand, or raise Refused with nothing written.

    `present`: the person showed the code of the demand's sign-in QR code (the `on_site`
    guard; flows/engine/presence.py); an admin confirming for them vouches instead.

    `on_behalf_of`: a community admin confirms a participant's own step (sign-in, sign-out)
    for them, as the paper sign-in sheet used to; the event records both people.
    `request_key`: the form's one-time key; sent again (even in parallel), the first outcome
    is answered and nothing is done twice: hours are not added up again.
    """
    now = now or utcnow()
    actor = _actor(session, actor)
    key = replays.scoped(actor.user_id, request_key)
    return _once(session, key, lambda: _act(session, actor, demand_id, step, data, now=now, auto=auto,
                                            on_behalf_of=on_behalf_of, key=key, present=present))


def _once(session: Session, key: str | None, work: Callable[[], Outcome]) -> Outcome:
    """Do `work` unless its key was done already; a send that lost a race to its twin (refused,
    or stopped by the unique key) answers the twin's outcome. Other constraint failures are
    refusals in plain words, never a 500."""
    done = replays.replay(session, key)
    if done is not None:
        session.rollback()  # end the read, hold nothing
        return done
    try:
        return work()
    except Refused:
        if key is None:
            raise
        session.rollback()
        done = replays.replay(session, key)
        if done is not None:
            return done
        raise
    except IntegrityError:
        session.rollback()
        done = replays.replay(session, key)
        if done is not None:
            return done
        raise Refused("conflict") from None


once = _once  # the engine's other doors (a claimant's 确认参加) answer replays the same way


def check(session: Session, actor: ActorContext | int, demand_id: int, step: str, *,
          now: datetime | None = None, present: bool = False) -> HumanStep:
    """The step, if the actor may take it on the demand now; else Refused, as `act` would
    answer. A step's form is shown only to those who may send it."""
    actor = _actor(session, actor)
    demand, workflow, spec = _demand_step(session, demand_id, step)
    _check(session, actor, demand, workflow, spec, now or utcnow(), present=present)
    return spec


def _images(form: Mapping[str, Any]) -> frozenset[str]:
    """Upload fields: a photo is stored under a new name each time it is sent."""
    return frozenset(name for name, field in form.items() if field.type == "image")


def _demand_step(session: Session, demand_id: int, step: str) -> tuple[Demand, CompiledWorkflow, HumanStep]:
    """The demand, its pinned workflow and the human step named, or Refused."""
    demand = session.get(Demand, demand_id)
    if demand is None:
        raise Refused("not_found")
    workflow = registry.load(session, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
    return demand, workflow, _human_step(workflow, step)


def _human_step(workflow: CompiledWorkflow, step: str) -> HumanStep:
    spec = workflow.step(step)
    if spec is None or isinstance(spec, StartStep):
        raise Refused("no_step", {"step": step})
    if isinstance(spec, AutoStep):
        raise Refused("not_human", {"step": spec.title})
    return spec


def _act(session: Session, actor: ActorContext, demand_id: int, step: str, data: Mapping[str, Any] | None, *,
         now: datetime, auto: bool | None, on_behalf_of: int | None, key: str | None,
         present: bool = False) -> Outcome:
    admin = actor
    if on_behalf_of is not None and on_behalf_of == admin.user_id:
        raise Refused("role")  # nobody vouches for their own attendance
    if on_behalf_of is not None:
        demand_row = session.get(Demand, demand_id)
        community = session.get(Region, demand_row.community_id) if demand_row else None
        if community is None or not admin.in_scope("community_admin", community.path):
            raise Refused("role")
        actor = _actor(session, on_behalf_of)
    demand, workflow, spec = _demand_step(session, demand_id, step)
    if on_behalf_of is not None and spec.by.relation != "claimant":
        raise Refused("role")  # only a participant's own steps can be confirmed for them
    if key is not None and spec.form:
        # a form sent again after the back button reloaded it (a fresh key, the same values):
        # answered as the first time, before a check that would now refuse it ('wrong state')
        try:
            sent = _validate(workflow, step, data or {}).model_dump(mode="json")
        except Refused:
            sent = None
        again = sent and replays.same_form(session, actor_id=admin.user_id, step=step, values=sent, now=now,
                                           demand_id=demand.id, ignore=_images(spec.form))
        if again:
            return again
    _check(session, actor, demand, workflow, spec, now, vouched=on_behalf_of is not None, present=present)
    values = _validate(workflow, step, data or {}).model_dump(mode="json")
    if on_behalf_of is not None:
        values["on_behalf_of"] = on_behalf_of
    # Who may act for the holding organisation was checked against the organisation read then;
    # one that gave the demand up and another that grabbed it meanwhile leave the state as it
    # was, so the guarded UPDATE alone would let the first one's people act on the second's.
    held_by_org = demand.org_id if spec.by.relation in ("claiming_org", "holder") else None

    def work() -> Outcome:
        if needs_actor_held(actor, spec.guards, demand):
            hold_actor(session, actor)  # first write: this person's actions go one at a time
            refusal = check_held_guards(session, actor, list(spec.guards), demand)
            if refusal:
                raise Refused(refusal.code, refusal.params)
        from_state = move(session, demand, spec, actor, now)
        if held_by_org is not None and demand.org_id != held_by_org:
            raise Refused("state", {"state": workflow.state_title(demand.state), "step": spec.title})
        form = {k: v for k, v in values.items() if k != "on_behalf_of"}
        facts = records.write(session, spec.record, demand, actor, form, now, step,
                              vouched=on_behalf_of is not None) if spec.record else {}
        if spec.claim:
            facts["claim_id"] = records.add_claim(session, demand, actor, step, holder=spec.claim.holder,
                                                  org_id=demand.org_id, at=now)
        _count_claims(session, demand, workflow, facts, [facts["claim_id"]] if spec.claim else [], now)
        event_id = record_event(session, demand, workflow, step, from_state, demand.state, admin.user_id,
                                {**values, **facts}, now, request_key=key)
        if spec.notify:
            effects.notify(session, demand, spec.notify, step, workflow, event_id, form,
                           released=facts.get("released_users", ()),
                           released_org=facts.get("org_id") if spec.record == "give_up" else None)
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
           spec: HumanStep, now: datetime, *, vouched: bool = False, present: bool = False) -> None:
    """Refuse early, before any write, with the most useful reason.

    `vouched`: an admin confirms for the participant (the paper sheet, read later), so the
    time window and the proof of presence of a self-service sign-in do not apply."""
    community = session.get_one(Region, demand.community_id)
    # The claims are read only when the answer depends on them: a claimant's own step, or a
    # second sign-up while places remain (a first claim on a single-place demand is the hot path).
    needs_claims = spec.by.relation == "claimant" or bool(spec.claim and spec.claim.capacity == "demand")
    claims = active_claims(session, demand.id) if needs_claims else []
    refusal = check_actor(actor, spec.by, community_id=demand.community_id, community_path=community.path,
                          demand=demand, claims=claims)
    if refusal:
        raise Refused(refusal.code, refusal.params)
    if not own_place_held(spec.record, actor, claims):
        raise Refused("no_claim")
    if demand.state not in spec.sources:
        if lost_code(spec, demand) == "taken" and not workflow.is_terminal(demand.state):
            raise lost(session, actor, spec, demand)
        raise Refused("state", {"state": workflow.state_title(demand.state), "step": spec.title})
    refusal = times.closed_to_claims(spec, demand, now)  # over: the plainest answer, before 'full'
    if refusal:
        raise Refused(refusal.code, refusal.params)
    if spec.claim and spec.claim.holder == "member" and any(c.user_id == actor.user_id for c in claims):
        raise Refused("duplicate")
    if spec.claim and spec.claim.capacity == "demand" and demand.taken >= demand.capacity:
        raise Refused("full")
    guards = [g for g in spec.guards if g not in ("in_time_window", "on_site")] if vouched else spec.guards
    refusal = check_guards(session, actor, guards, demand, now=now, window=spec.window, present=present)
    if refusal:
        raise Refused(refusal.code, refusal.params)
    opens = attendance.vouch_opens(demand, spec) if vouched else None
    if opens is not None and now < opens:
        # the sheet is read after the event, so its end does not bind; but nobody came before it began
        raise Refused("guard.after_start", {"start": local_text(opens)})

