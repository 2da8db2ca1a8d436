"""Bookable appointment services (预约服务): the slots a person can book, and those they hold."""
from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from schemas.tables import AppointmentService, AppointmentSlot, Booking, BookingStatus, Region


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
