"""预约安排: a community's coming slots that have bookings, each with who booked, where the
booking stands and who is sent, for the community's admins.

待办 lists only what waits on the admin, so a booking already arranged (已安排党员) appeared in
no list of theirs: to call it off or see who goes, they had to search the console (the walk).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flows.engine.notes import start_notes
from flows.workflow import registry
from schemas.tables import (
    AppointmentService,
    AppointmentSlot,
    Booking,
    BookingStatus,
    Claim,
    ClaimStatus,
    Demand,
    Region,
    User,
)

PER_SLOT = 30  # bookings listed under a slot; the slot's 已约 says how many in all


@dataclass(frozen=True)
class BookingLine:
    demand_id: int | None
    resident: str
    state_title: str | None  # where its demand stands, as its workflow names it
    sent: tuple[str, ...]  # the members arranged to serve it
    asked: tuple[tuple[str, str], ...] = ()  # what the resident wrote when booking (备注), by field title


@dataclass(frozen=True)
class BookedSlot:
    slot: AppointmentSlot
    service: str
    community: str
    bookings: tuple[BookingLine, ...]


def _coming(community_ids: list[int], now: datetime):
    return (select(AppointmentSlot, AppointmentService.name, Region.name)
            .join(AppointmentService, AppointmentService.id == AppointmentSlot.service_id)
            .join(Region, Region.id == AppointmentService.community_id)
            .where(AppointmentService.community_id.in_(community_ids), AppointmentSlot.ends_at > now,
                   AppointmentSlot.booked > 0))


def coming(session: Session, community_ids: list[int], now: datetime, *, limit: int,
           offset: int = 0) -> tuple[list[BookedSlot], int]:
    """The slots not yet over that hold live bookings, soonest first (one page), and how many."""
    total = session.scalar(select(func.count()).select_from(_coming(community_ids, now).subquery())) or 0
    rows = session.execute(_coming(community_ids, now).order_by(AppointmentSlot.starts_at, AppointmentSlot.id)
                           .limit(limit).offset(offset)).all()
    slot_ids = [slot.id for slot, _service, _community in rows]
    lines: dict[int, list[BookingLine]] = {}
    # at most PER_SLOT a slot (one may hold 500): the rest are counted, not loaded
    ranked = (select(Booking.id, func.row_number().over(partition_by=Booking.slot_id, order_by=Booking.id).label("n"))
              .where(Booking.slot_id.in_(slot_ids), Booking.status == BookingStatus.BOOKED).subquery())
    found = session.execute(select(Booking, User.display_name, Demand).join(ranked, ranked.c.id == Booking.id)
                            .join(User, User.id == Booking.user_id)
                            .outerjoin(Demand, Demand.id == Booking.demand_id)
                            .where(ranked.c.n <= PER_SLOT).order_by(Booking.id)).all()
    sent = _sent(session, [demand.id for _booking, _name, demand in found if demand is not None])
    for booking, name, demand in found:
        title, asked = None, []
        if demand is not None:  # (the community's admins read this: they see what was written)
            workflow = registry.load(session, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
            title, asked = workflow.state_title(demand.state), start_notes(workflow, demand.data, personal=True)
        lines.setdefault(booking.slot_id, []).append(BookingLine(
            demand.id if demand is not None else None, name, title, tuple(sent.get(demand.id, ())) if demand is not None else (),
            tuple(asked)))
    return [BookedSlot(slot, service, community, tuple(lines.get(slot.id, ())))
            for slot, service, community in rows], total


def _sent(session: Session, demand_ids: list[int]) -> dict[int, list[str]]:
    """The names of the members holding each demand's active claims (those arranged to serve)."""
    out: dict[int, list[str]] = {}
    if not demand_ids:
        return out
    for demand_id, name in session.execute(
            select(Claim.demand_id, User.display_name).join(User, User.id == Claim.user_id)
            .where(Claim.demand_id.in_(demand_ids), Claim.status == ClaimStatus.ACTIVE).order_by(Claim.id)):
        out.setdefault(demand_id, []).append(name)
    return out
