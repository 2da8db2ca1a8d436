"""Bookable appointment services (预约服务): the slots a person can book and those they hold, and
the timetable an admin keeps (slots one by one, or many from a weekly pattern, all or none)."""
from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from flows.core import audit
from flows.core.db import in_transaction
from flows.core.i18n import Message
from flows.core.moments import said_now
from flows.core.refusals import Refused
from flows.people.actors import ActorContext
from schemas.clock import LOCAL_TZ, utcnow
from schemas.tables import AppointmentService, AppointmentSlot, Booking, BookingStatus, Region


def booking_title(service: AppointmentService, slot: AppointmentSlot) -> str:
    """What a booking is called: the service and its time (心理咨询预约（12月2日 09:00）), which
    tell two bookings of one service apart in 待办 and 我的 (the service's name alone did not).
    Stored data, as a demand's title is: in Chinese, within the form's 60 characters."""
    local = (slot.starts_at if slot.starts_at.tzinfo else slot.starts_at.replace(tzinfo=UTC)).astimezone(LOCAL_TZ)
    return f"{service.name[:42]}预约（{local.month}月{local.day}日 {local:%H:%M}）"


def bookable_slots(session: Session, community_ids: set[int], now: datetime, held: Collection[int] = ()):
    """Future slots with places left in these communities, and those in `held` even when full:
    (slot, service name, community name)."""
    has_room = AppointmentSlot.booked < AppointmentSlot.capacity
    return list(session.execute(select(AppointmentSlot, AppointmentService.name, Region.name)
                                .join(AppointmentService, AppointmentService.id == AppointmentSlot.service_id)
                                .join(Region, Region.id == AppointmentService.community_id)
                                .where(AppointmentService.community_id.in_(community_ids),
                                       AppointmentService.is_active.is_(True), AppointmentSlot.starts_at > now,
                                       or_(has_room, AppointmentSlot.id.in_(list(held))) if held else has_room)
                                .order_by(AppointmentSlot.starts_at).limit(60)).all())


def held_slots(session: Session, user_id: int | None) -> dict[int, int | None]:
    """The slots the person holds a live booking of, with the demand each booking started."""
    return dict(session.execute(select(Booking.slot_id, Booking.demand_id).where(
        Booking.user_id == user_id, Booking.status == BookingStatus.BOOKED)).all())
def live_bookings(session: Session, service_id: int, now: datetime) -> int:
    """The service's bookings still to be served: booked, on a slot not yet over (what keeps
    its community, and what 停用 leaves standing)."""
    return session.scalar(select(func.count()).select_from(Booking).join(
        AppointmentSlot, AppointmentSlot.id == Booking.slot_id).where(
        AppointmentSlot.service_id == service_id, Booking.status == BookingStatus.BOOKED,
        AppointmentSlot.ends_at > now)) or 0


# ---- keeping the timetable ---------------------------------------------------------------

MAX_SLOTS = 500  # one batch: a season of a busy service, not a runaway pattern
MAX_WEEKS = 26


@dataclass(frozen=True)
class WeeklyPattern:
    """Slots on some weekdays (0 = Monday), at some local times, for some weeks from a day."""

    weekdays: frozenset[int]
    times: tuple[tuple[time, time], ...]
    first_day: date
    weeks: int
    capacity: int


def parse_times(text: str) -> tuple[tuple[time, time], ...]:
    """'09:00-10:00, 14:00-15:30' → ((09:00, 10:00), (14:00, 15:30)); Refused otherwise."""
    found = []
    for part in filter(None, (p.strip() for p in re.split(r"[,，;；\s]+", text or ""))):
        match = _RANGE.match(part)
        if match is None:
            raise Refused("input", fields={"times": Message("slots.times_format", {"part": part[:20]})})
        start, end = (time(int(h), int(m)) for h, m in (match.group(1, 2), match.group(3, 4)))
        if end <= start:
            raise Refused("input", fields={"times": Message("slots.end_before_start", {"part": part})})
        found.append((start, end))
    if not found:
        raise Refused("input", fields={"times": Message("slots.times_format", {"part": ""})})
    return tuple(found)


_RANGE = re.compile(r"^([01]?\d|2[0-3])[:：]([0-5]\d)\s*[-–~至到]\s*([01]?\d|2[0-3])[:：]([0-5]\d)$")


def expand(pattern: WeeklyPattern) -> list[tuple[datetime, datetime]]:
    """Every (start, end) the pattern names, in UTC, in order."""
    out = []
    for offset in range(pattern.weeks * 7):
        day = pattern.first_day + timedelta(days=offset)
        if day.weekday() in pattern.weekdays:
            for start, end in pattern.times:
                out.append((datetime.combine(day, start, LOCAL_TZ).astimezone(UTC),
                            datetime.combine(day, end, LOCAL_TZ).astimezone(UTC)))
    return out


def create_slots(session: Session, actor: ActorContext, service_id: int, times: list[tuple[datetime, datetime]],
                 capacity: int, *, now: datetime | None = None) -> list[int]:
    """Add slots to a service, all or none: each in the future, ending after it starts, not
    clashing with the service's existing slots or with each other. Audited as one change."""
    now = now or utcnow()
    service = session.get(AppointmentService, service_id)
    region = session.get(Region, service.community_id) if service else None
    if service is None or region is None or not actor.in_scope("community_admin", region.path):
        raise Refused("slots.no_service")
    fields: dict[str, Message] = {}
    if not 1 <= capacity <= 500:
        fields["capacity"] = Message("slots.capacity")
    if not times:
        fields["weekdays"] = Message("slots.none")
    elif len(times) > MAX_SLOTS:
        fields["weeks"] = Message("slots.too_many", {"n": len(times), "limit": MAX_SLOTS})
    elif any(start <= now for start, _ in times):
        fields["first_day"] = Message("slots.past")
    elif any(end <= start for start, end in times):
        fields["times"] = Message("slots.end_before_start", {"part": ""})
    if fields:
        raise Refused("input", fields=fields)
    ordered = sorted(times)
    for (_s1, e1), (s2, _e2) in zip(ordered, ordered[1:], strict=False):
        if s2 < e1:
            raise Refused("input", fields={"times": Message("slots.overlap", {"at": said_now(s2)})})
    existing = session.execute(select(AppointmentSlot.starts_at, AppointmentSlot.ends_at).where(
        AppointmentSlot.service_id == service_id, AppointmentSlot.ends_at > ordered[0][0],
        AppointmentSlot.starts_at < ordered[-1][1])).all()
    for start, end in ordered:
        clash = next((s for s, e in existing if s < end and start < e), None)
        if clash is not None:
            raise Refused("input", fields={"times": Message("slots.clash", {"at": said_now(clash)})})

    def work() -> list[int]:
        rows = [AppointmentSlot(service_id=service_id, starts_at=start, ends_at=end, capacity=capacity, booked=0)
                for start, end in ordered]
        session.add_all(rows)
        session.flush()
        ids = [row.id for row in rows]
        audit.record(session, actor.user_id, "create", "appointment_slots", f"{ids[0]}-{ids[-1]}" if len(ids) > 1
                     else str(ids[0]), None, {"service_id": service_id, "count": len(ids), "capacity": capacity,
                                              "first": ordered[0][0].isoformat(), "last": ordered[-1][0].isoformat()})
        return ids

    return in_transaction(session, work)

