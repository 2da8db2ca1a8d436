"""What a human step writes besides the state: claims, sign-in/out, service, evaluation,
assignment, bookings. A fixed vocabulary the YAML chooses from (`record:`), so admin text
selects behaviour but never defines it.

Each writer runs inside the engine's write transaction, after the demand row was updated
(and so locked), and raises Refused to roll the whole action back.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from flows.core.i18n import N_, Message
from flows.core.refusals import Refused
from flows.core.sql import changed
from flows.engine.claims import active_claims, held_by
from flows.people.actors import ActorContext
from flows.sharing import bookings as resource_bookings
from flows.workflow import registry
from flows.workflow.compiled import CompiledWorkflow
from schemas.clock import LOCAL_TZ, local_day
from schemas.tables import (
    AppointmentService,
    AppointmentSlot,
    Booking,
    BookingStatus,
    Claim,
    ClaimStatus,
    Demand,
    Evaluation,
    Event,
    MemberRegistration,
    RegistrationStatus,
    ServiceRecord,
)
from schemas.workflow import HumanStep


def own_claim(session: Session, demand: Demand, actor: ActorContext) -> Claim:
    """The actor's active claim on the demand (a member's own, or their organisation's)."""
    mine = held_by(actor, active_claims(session, demand.id))
    if not mine:
        raise Refused("no_claim")
    return mine[0]


def add_claim(session: Session, demand: Demand, actor: ActorContext, step: str, *, holder: str,
              org_id: int | None, at: datetime) -> int:
    """Insert the claim and return its id; the partial unique indexes refuse a second active
    claim by the same holder (a withdrawn one does not count: they may sign up again). A plain
    INSERT: the action never reads the row back."""
    try:
        return session.execute(_INSERT_CLAIM, {
            "demand_id": demand.id, "step": step, "created_by": actor.user_id, "created_at": at,
            "user_id": actor.user_id if holder == "member" else None,
            "org_id": org_id if holder == "org" else None}).scalar_one()
    except IntegrityError:
        raise Refused("duplicate") from None


_INSERT_CLAIM = insert(Claim.__table__).returning(Claim.__table__.c.id)


def _service_record(session: Session, claim: Claim) -> ServiceRecord:
    """The claim's service record, created on its first sign-in, sign-out or report."""
    record = session.scalar(select(ServiceRecord).where(ServiceRecord.claim_id == claim.id))
    if record is None:
        record = ServiceRecord(claim_id=claim.id, demand_id=claim.demand_id, user_id=claim.user_id or claim.created_by,
                               data={})
        session.add(record)
    return record


# A writer runs in the engine's transaction, after the guarded UPDATE, and raises Refused to
# roll the whole action back.
Writer = Callable[[Session, Demand, ActorContext, dict[str, Any], datetime, str], dict[str, Any]]

def _write_service(session: Session, demand: Demand, actor: ActorContext, values: dict[str, Any],
                 now: datetime, step: str) -> dict[str, Any]:
    """Service done by the claimant: hours add up, notes and the latest proof photo are kept.

    The step's `hours` maximum bounds a day, not only one entry: a volunteer item's 记录服务 can
    be repeated, and four entries of twelve hours in one minute are not service (they became
    points at the settlement). The steps on a demand run one at a time (its row is locked by the
    step's UPDATE), so the day's sum read here is the one the entry lands on."""
    claim = own_claim(session, demand, actor)
    record = _service_record(session, claim)
    hours = float(values.get("hours") or 0)
    limit = _hours_limit(session, demand, step)
    if limit is not None and hours > 0:
        today = _hours_on(session, demand, step, claim.id, local_day(now))
        if today + hours > limit + 1e-9:
            raise Refused("input", fields={"hours": Message("service.day_limit", {
                "limit": f"{limit:g}", "today": f"{today:g}", "left": f"{max(limit - today, 0):g}"})})
    record.hours = round(float(record.hours or 0) + hours, 2)
    record.note = "\n".join(filter(None, [record.note, values.get("note")])) or None
    record.proof = values.get("photo") or record.proof
    record.data = {**(record.data or {}), **{k: v for k, v in values.items() if k not in ("hours", "note", "photo")}}
    session.flush()
    return {"claim_id": claim.id, "hours": hours}


def _hours_limit(session: Session, demand: Demand, step: str) -> float | None:
    """The step's own maximum for `hours` (its form, read from the workflow)."""
    workflow = registry.load(session, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
    spec = workflow.spec.steps.get(step)
    field = spec.form.get("hours") if isinstance(spec, HumanStep) else None
    limit = getattr(field, "max", None)
    return float(limit) if limit is not None else None


def _hours_on(session: Session, demand: Demand, step: str, claim_id: int, day: date) -> float:
    """The hours already recorded by this step for this claim on this Beijing day."""
    midnight = datetime.combine(day, time(), tzinfo=LOCAL_TZ)
    rows = session.scalars(select(Event.data).where(
        Event.demand_id == demand.id, Event.step == step, Event.at >= midnight, Event.at < midnight + timedelta(days=1)))
    return sum(float(data.get("hours") or 0) for data in rows
               if isinstance(data, dict) and data.get("claim_id") == claim_id)


def _write_sign_in(session: Session, demand: Demand, actor: ActorContext, values: dict[str, Any],
                 now: datetime, step: str) -> dict[str, Any]:
    """The claimant arrives: once."""
    claim = own_claim(session, demand, actor)
    record = _service_record(session, claim)
    if record.signed_in_at is not None:
        raise Refused("already_signed_in")
    record.signed_in_at = now
    session.flush()
    return {"claim_id": claim.id}


def _write_sign_out(session: Session, demand: Demand, actor: ActorContext, values: dict[str, Any],
                 now: datetime, step: str) -> dict[str, Any]:
    """The claimant leaves after signing in: hours from the two times."""
    claim = own_claim(session, demand, actor)
    record = _service_record(session, claim)
    if record.signed_in_at is None:
        raise Refused("not_signed_in")
    if record.signed_out_at is not None:
        raise Refused("already_signed_out")
    record.signed_out_at = now
    record.hours = round(max((now - record.signed_in_at).total_seconds(), 0) / 3600, 2)
    session.flush()
    return {"claim_id": claim.id, "hours": record.hours}


def _write_evaluation(session: Session, demand: Demand, actor: ActorContext, values: dict[str, Any],
                 now: datetime, step: str) -> dict[str, Any]:
    """A rating of the service: one per person and demand."""
    session.add(Evaluation(demand_id=demand.id, by_user_id=actor.user_id, rating=int(values["rating"]),
                           comment=values.get("comment"),
                           data={k: v for k, v in values.items() if k not in ("rating", "comment")}))
    try:
        session.flush()
    except IntegrityError:
        raise Refused("already_evaluated") from None
    return {"rating": int(values["rating"])}


def _write_withdraw(session: Session, demand: Demand, actor: ActorContext, values: dict[str, Any],
                 now: datetime, step: str) -> dict[str, Any]:
    """The claimant withdraws: their place is free again. Service they already recorded (a
    volunteer item's hours) is not thrown away: the claim ends as done, and counts at the
    settlement like anyone's; with nothing recorded it is withdrawn (they may come back)."""
    claim = own_claim(session, demand, actor)
    served = session.scalar(select(ServiceRecord.hours).where(ServiceRecord.claim_id == claim.id))
    claim.status = ClaimStatus.DONE if served else ClaimStatus.WITHDRAWN
    if claim.user_id is not None:
        session.execute(update(Demand).where(Demand.id == demand.id, Demand.taken > 0)
                        .values(taken=Demand.taken - 1).execution_options(synchronize_session=False))
    session.flush()
    if served:
        return {"claim_id": claim.id, "kept_hours": served}
    return {"claim_id": claim.id, "withdrawn": [claim.id]}


def _write_release(session: Session, demand: Demand, actor: ActorContext, values: dict[str, Any],
                 now: datetime, step: str) -> dict[str, Any]:
    """An admin takes every claim back, so that others may claim the demand."""
    ids = list(session.scalars(select(Claim.id).where(Claim.demand_id == demand.id,
                                                      Claim.status == ClaimStatus.ACTIVE)))
    if ids:
        session.execute(update(Claim).where(Claim.id.in_(ids)).values(status=ClaimStatus.WITHDRAWN)
                        .execution_options(synchronize_session=False))
    session.execute(update(Demand).where(Demand.id == demand.id).values(taken=0)
                    .execution_options(synchronize_session=False))
    return {"released": len(ids), "withdrawn": ids}


def places_through_org(session: Session, demand: Demand, claims: list[Claim] | None = None) -> list[Claim]:
    """The members' places taken through the claiming organisation (its workflow's claim steps
    open only to that organisation's members): what giving the demand up takes with it."""
    workflow = registry.load(session, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
    through_org = {name for name, spec in workflow.spec.steps.items()
                   if isinstance(spec, HumanStep) and spec.claim is not None and spec.claim.holder == "member"
                   and spec.by.relation == "claiming_org"}
    held = claims if claims is not None else active_claims(session, demand.id)
    return [c for c in held if c.user_id is not None and c.step in through_org]


def _write_give_up(session: Session, demand: Demand, actor: ActorContext, values: dict[str, Any],
                   now: datetime, step: str) -> dict[str, Any]:
    """The claiming organisation gives the demand up (放弃抢单): its claim is withdrawn, and so
    are the places its members took through it (the workflow's claim steps open only to the
    claiming organisation's members); others' places (residents who volunteered) stay. The
    demand no longer names an organisation, so another may grab it."""
    claims = active_claims(session, demand.id)
    org_claims = [c for c in claims if c.org_id is not None and c.org_id == demand.org_id]
    if not org_claims:
        raise Refused("no_claim")
    members = places_through_org(session, demand, claims)
    # Service already recorded is not thrown away (as when one withdraws): that claim ends as
    # done and counts at the settlement; the others are withdrawn.
    served = set(session.scalars(select(ServiceRecord.claim_id).where(
        ServiceRecord.claim_id.in_([c.id for c in members]), ServiceRecord.hours > 0))) if members else set()
    ids = [c.id for c in org_claims + members if c.id not in served]
    session.execute(update(Claim).where(Claim.id.in_(ids)).values(status=ClaimStatus.WITHDRAWN)
                    .execution_options(synchronize_session=False))
    if served:
        session.execute(update(Claim).where(Claim.id.in_(served)).values(status=ClaimStatus.DONE)
                        .execution_options(synchronize_session=False))
    org_id = demand.org_id
    # the row is locked by the step's guarded UPDATE: its count is the one to lower
    taken = max(demand.taken - len(members), 0)
    session.execute(update(Demand).where(Demand.id == demand.id).values(org_id=None, taken=taken)
                    .execution_options(synchronize_session=False))
    set_committed_value(demand, "org_id", None)
    set_committed_value(demand, "taken", taken)
    return {"org_id": org_id, "withdrawn": ids, "released_users": [c.user_id for c in members]}


def _write_assign(session: Session, demand: Demand, actor: ActorContext, values: dict[str, Any],
                 now: datetime, step: str) -> dict[str, Any]:
    """An admin assigns the work to a member registered with the demand's community."""
    assignee = int(values["assignee"])
    registered = session.scalar(select(MemberRegistration.id).where(
        MemberRegistration.member_id == assignee, MemberRegistration.community_id == demand.community_id,
        MemberRegistration.status == RegistrationStatus.APPROVED))
    if registered is None:
        raise Refused("assignee", fields={"assignee": N_("被指派的人不是本社区报到的党员")})
    claim = Claim(demand_id=demand.id, step=step, user_id=assignee, created_by=actor.user_id or assignee,
                  created_at=now)
    session.add(claim)
    try:
        session.flush()
    except IntegrityError:
        raise Refused("duplicate") from None
    return {"claim_id": claim.id, "assignee": assignee, "new_claims": [claim.id]}


def _write_release_booking(session: Session, demand: Demand, actor: ActorContext, values: dict[str, Any],
                 now: datetime, step: str) -> dict[str, Any]:
    """The booked slot's seat is given back."""
    booking = session.scalar(select(Booking).where(Booking.demand_id == demand.id,
                                                   Booking.status == BookingStatus.BOOKED))
    if booking is not None:
        booking.status = BookingStatus.CANCELLED
        session.execute(update(AppointmentSlot).where(AppointmentSlot.id == booking.slot_id,
                                                      AppointmentSlot.booked > 0)
                        .values(booked=AppointmentSlot.booked - 1).execution_options(synchronize_session=False))
        session.flush()
        return {"booking_id": booking.id}
    return {}


def _write_release_resource(session: Session, demand: Demand, actor: ActorContext, values: dict[str, Any],
                            now: datetime, step: str) -> dict[str, Any]:
    """The resource's booked time range is freed for others (declined, cancelled)."""
    booking_id = resource_bookings.release(session, demand.id)
    return {"resource_booking_id": booking_id} if booking_id is not None else {}


# One writer per word of the DSL's closed `Record` vocabulary (schemas.workflow.Record).
WRITERS: dict[str, Writer] = {
    "service": _write_service,
    "sign_in": _write_sign_in,
    "sign_out": _write_sign_out,
    "evaluation": _write_evaluation,
    "withdraw": _write_withdraw,
    "release": _write_release,
    "assign": _write_assign,
    "release_booking": _write_release_booking,
    "release_resource": _write_release_resource,
    "give_up": _write_give_up,
}


def write(session: Session, kind: str, demand: Demand, actor: ActorContext, values: dict[str, Any],
          now: datetime, step: str, *, vouched: bool = False) -> dict[str, Any]:
    """Apply record `kind`; returns facts worth keeping in the event. `vouched`: an admin
    confirms it for the participant (see `attended_at`)."""
    at = attended_at(kind, demand, now) if vouched else now
    return WRITERS[kind](session, demand, actor, values, at, step)


def attended_at(kind: str, demand: Demand, now: datetime) -> datetime:
    """When a sign-in or sign-out an admin vouches for took place. Confirmed after the demand's
    end (the paper sheet read days later), the sheet says they took part, not when: the
    scheduled start and end, so the hours are the activity's, not zero. Confirmed before the
    end, the admin sees it happen: now."""
    if kind not in ("sign_in", "sign_out") or demand.starts_at is None or demand.ends_at is None \
            or now <= demand.ends_at:
        return now
    return demand.starts_at if kind == "sign_in" else demand.ends_at


def step_recording(workflow: CompiledWorkflow, kind: str) -> str | None:
    """The name of the workflow's first human step that writes record `kind` (the step a sign-in
    QR code opens is the one whose record is `sign_in`, whatever the workflow calls it)."""
    return next((name for name, step in workflow.spec.steps.items()
                 if isinstance(step, HumanStep) and step.record == kind), None)


def door_code_step(workflow: CompiledWorkflow, state: str) -> str | None:
    """The step the door's QR code opens (the one recording `sign_in`), while a sign-in or a
    sign-out can still come for a demand in `state` and people can be on it; None before anyone
    can join (a draft: a state no joining step's state leads to, by any way) and once
    the demand is past them (finished, cancelled): a code shown then would lead nobody anywhere."""
    name = step_recording(workflow, "sign_in")
    out = step_recording(workflow, "sign_out")
    if name is None or not any(workflow.may_come(step, state) for step in (name, out) if step is not None):
        return None
    joins = [step for step in workflow.spec.steps.values() if isinstance(step, HumanStep) and step.claim]
    if joins and state not in workflow.reachable({source for step in joins for source in step.sources}):
        return None  # not open to anyone yet (a draft): no one could be at the door for it
    return name



def scan_step(session: Session, workflow: CompiledWorkflow, demand: Demand, actor: ActorContext) -> str | None:
    """The step a scan of the sign-in QR code is for, for this person now: the step recording
    `sign_in` until they signed in, then the one recording `sign_out` (read from the workflow)."""
    mine = held_by(actor, active_claims(session, demand.id))
    record = session.scalar(select(ServiceRecord).where(ServiceRecord.claim_id == mine[0].id)) if mine else None
    signed_in = record is not None and record.signed_in_at is not None
    return step_recording(workflow, "sign_out" if signed_in else "sign_in")


def holds_slot(session: Session, slot_id: int | None, user_id: int | None) -> bool:
    """Whether the person already holds a live booking of the slot."""
    return session.scalar(select(Booking.id).where(Booking.slot_id == slot_id, Booking.user_id == user_id,
                                                   Booking.status == BookingStatus.BOOKED).limit(1)) is not None


def clashing_claim(session: Session, slot: AppointmentSlot, user_id: int | None) -> tuple[str, datetime] | None:
    """(title, start) of a timed demand the person holds a place on (an activity signed up to)
    whose time overlaps the slot's: nobody is at the barber's during the activity they joined."""
    row = session.execute(
        select(Demand.title, Demand.starts_at).join(Claim, Claim.demand_id == Demand.id)
        .where(Claim.user_id == user_id, Claim.status == ClaimStatus.ACTIVE, Demand.starts_at < slot.ends_at,
               Demand.ends_at > slot.starts_at).order_by(Demand.starts_at).limit(1)).first()
    return (row[0], row[1]) if row is not None and row[1] is not None else None


def clashing_booking(session: Session, slot: AppointmentSlot, user_id: int | None) -> tuple[str, datetime] | None:
    """(service name, start) of another live booking of the person's whose time overlaps the
    slot's: one person cannot be at the barber's and the counsellor's at 09:00 both."""
    row = session.execute(
        select(AppointmentService.name, AppointmentSlot.starts_at).select_from(Booking)
        .join(AppointmentSlot, AppointmentSlot.id == Booking.slot_id)
        .join(AppointmentService, AppointmentService.id == AppointmentSlot.service_id)
        .where(Booking.user_id == user_id, Booking.status == BookingStatus.BOOKED, Booking.slot_id != slot.id,
               AppointmentSlot.starts_at < slot.ends_at, AppointmentSlot.ends_at > slot.starts_at)
        .order_by(AppointmentSlot.starts_at).limit(1)).first()
    return (row[0], row[1]) if row is not None else None


def add_booking(session: Session, slot_id: int | None, user_id: int | None, demand_id: int) -> None:
    """The booking row; the partial unique index (one live booking per person and slot) turns
    a second one sent at the same moment into a plain refusal."""
    session.add(Booking(slot_id=slot_id, user_id=user_id, demand_id=demand_id))
    try:
        session.flush()
    except IntegrityError:
        raise Refused("slot_held") from None


def book_slot(session: Session, slot_id: int) -> AppointmentSlot:
    """Take a seat of a slot, or refuse when it is full (the counter's WHERE decides)."""
    taken = changed(session, update(AppointmentSlot).where(AppointmentSlot.id == slot_id,
                                                           AppointmentSlot.booked < AppointmentSlot.capacity)
                    .values(booked=AppointmentSlot.booked + 1).execution_options(synchronize_session=False))
    slot = session.get(AppointmentSlot, slot_id) if taken == 1 else None
    if slot is None:
        raise Refused("slot")
    session.refresh(slot)
    return slot
