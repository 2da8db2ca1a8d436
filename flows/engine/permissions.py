"""Who may do a step, and the guards a step names: pure checks over loaded facts.

Each check returns a refusal code (see messages.ENGINE) or None. The facts are loaded by
the engine; nothing here queries except the time-clash guard, which must look at the
actor's other claims. Such a guard is decided again inside the action's transaction with the
actor serialised (`hold_actor`): two sign-ups by one member racing each other would otherwise
both read "no clash" before either wrote its claim.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from flows.core.moments import Moment, said_now
from flows.engine.claims import is_claimant
from flows.people.actors import ActorContext
from schemas.clock import utcnow
from schemas.tables import (
    AppointmentService,
    AppointmentSlot,
    Booking,
    BookingStatus,
    Claim,
    ClaimStatus,
    Demand,
    Role,
    Skill,
    User,
)
from schemas.workflow import Actor, TimeWindow


@dataclass(frozen=True)
class Refusal:
    code: str
    params: dict[str, Any]


def check_actor(actor: ActorContext, who: Actor, *, community_id: int, community_path: str,
                demand: Demand | None, claims: list[Claim]) -> Refusal | None:
    """Whether `actor` is who the step names, for this community and demand."""
    if actor.is_system:
        return None
    role = who.role
    if role is not None and not actor.has_role(role):
        return Refusal("role", {})
    relation = who.relation
    if relation == "any":
        return None
    if relation == "community":
        if role is None or role == "member":
            ok = community_id in actor.registered_communities
        else:
            ok = actor.in_scope(role, community_path)
        return None if ok else Refusal("scope", {})
    if relation == "registered":
        return None if community_id in actor.registered_communities else Refusal("scope", {})
    if relation == "registered_org":
        return None if actor.orgs_registered_with(community_id) else Refusal("scope", {})
    if demand is None:
        return Refusal("role", {})
    if relation == "requester":
        return None if demand.requester_id == actor.user_id else Refusal("role", {})
    if relation == "claimant":
        return None if is_claimant(actor, claims) else Refusal("no_claim", {})
    if relation == "holder":  # the holding organisation's admins, else the community's
        if demand is not None and demand.org_id is not None:
            return None if demand.org_id in actor.org_admin_of else Refusal("role", {})
        return None if actor.in_scope(Role.COMMUNITY_ADMIN, community_path) else Refusal("role", {})
    if relation == "claiming_org":
        if demand.org_id is None:
            return Refusal("role", {})
        if role == Role.ORG_ADMIN.value:
            return None if demand.org_id in actor.org_admin_of else Refusal("role", {})
        return None if actor.member_org_id == demand.org_id else Refusal("role", {})
    return Refusal("role", {})


def check_guards(session: Session, actor: ActorContext, guards: Sequence[str], demand: Demand, *,
                 now: datetime | None = None, window: TimeWindow | None = None,
                 present: bool = False) -> Refusal | None:
    """The first guard the actor fails, or None.

    `present`: the person showed they are at the demand's place (the code of the sign-in QR
    code shown at the door, checked by the web or the API: flows/engine/presence.py), which
    the `on_site` guard asks for."""
    if actor.is_system:
        return None
    for guard in guards:
        if guard == "on_site" and not present:
            return Refusal("guard.on_site", {})
        if guard == "in_time_window":
            refusal = _outside_window(demand, now or utcnow(), window or TimeWindow())
            if refusal:
                return refusal
        if guard == "after_start" and demand.starts_at is not None and (now or utcnow()) < demand.starts_at:
            return Refusal("guard.after_start", {"start": local_text(demand.starts_at)})
        if guard == "registered_in_community" and demand.community_id not in actor.registered_communities:
            return Refusal("guard.registered_in_community", {})
        if guard == "not_requester" and demand.requester_id == actor.user_id:
            return Refusal("guard.not_requester", {})
        if guard == "skills":
            missing = [s for s in demand.required_skills or [] if s not in actor.skills]
            if missing:
                names = dict(session.execute(select(Skill.code, Skill.name).where(Skill.code.in_(missing))).all())
                return Refusal("guard.skills", {"skills": "、".join(names.get(s, s) for s in missing)})
        if guard == "no_time_clash" and demand.starts_at and demand.ends_at:
            other = session.scalar(
                select(Demand.title).join(Claim, Claim.demand_id == Demand.id).where(
                    Claim.user_id == actor.user_id, Claim.status == ClaimStatus.ACTIVE, Demand.id != demand.id,
                    Demand.starts_at < demand.ends_at, Demand.ends_at > demand.starts_at).limit(1))
            if other:
                return Refusal("guard.no_time_clash", {"other": other})
            booked = session.execute(  # nor at the barber's booked for the same hour (the walk)
                select(AppointmentService.name, AppointmentSlot.starts_at).select_from(Booking)
                .join(AppointmentSlot, AppointmentSlot.id == Booking.slot_id)
                .join(AppointmentService, AppointmentService.id == AppointmentSlot.service_id)
                .where(Booking.user_id == actor.user_id, Booking.status == BookingStatus.BOOKED,
                       AppointmentSlot.starts_at < demand.ends_at, AppointmentSlot.ends_at > demand.starts_at)
                .limit(1)).first()
            if booked:
                return Refusal("guard.booking_clash", {"service": booked[0], "start": local_text(booked[1])})
    return None


def _outside_window(demand: Demand, now: datetime, window: TimeWindow) -> Refusal | None:
    """Refuse outside [start − opens, end + closes]; a demand without a time has no window."""
    if demand.starts_at is None:
        return None
    opens = demand.starts_at - window.opens
    closes = (demand.ends_at or demand.starts_at) + window.closes
    if opens <= now <= closes:
        return None
    return Refusal("guard.in_time_window", {"opens": local_text(opens), "closes": local_text(closes)})


def local_text(at: datetime) -> Moment:
    """A time as people in Yichun read it (Beijing time, 今天 19:48 or 12月1日 19:48), for a
    refusal's sentence: read at once, beside a page that says 今天 too."""
    return said_now(at)
# Guards whose answer depends on the actor's other rows (claims on other demands).
SERIALISED_GUARDS = ("no_time_clash",)


def needs_actor_held(actor: ActorContext, guards: Sequence[str], demand: Demand) -> bool:
    """Whether the action must hold the actor first: a guard reads their other rows, and it has
    something to decide (a time clash needs the demand's start and end; a wish without them,
    the hot path of claiming, costs nothing more)."""
    timed = demand.starts_at is not None and demand.ends_at is not None
    return not actor.is_system and timed and any(g in SERIALISED_GUARDS for g in guards)


def hold_actor(session: Session, actor: ActorContext) -> None:
    """Serialise the actor's actions: a no-op UPDATE of their user row as the transaction's
    first write. On PostgreSQL it locks the row until commit (a second action of the same
    person waits, then reads what the first committed); on SQLite the first write takes the
    database's write lock, so the reads that follow see every committed claim."""
    session.execute(_HOLD, {"user_id": actor.user_id})


_HOLD = (update(User).where(User.id == bindparam("user_id")).values(is_active=User.is_active)
         .execution_options(synchronize_session=False))


def check_held_guards(session: Session, actor: ActorContext, guards: Sequence[str], demand: Demand) -> Refusal | None:
    """The guards that read other rows, decided again once the actor is held."""
    return check_guards(session, actor, [g for g in guards if g in SERIALISED_GUARDS], demand)
