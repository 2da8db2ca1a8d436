"""Bookable appointment services (预约服务): the slots a person can book."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.tables import AppointmentService, AppointmentSlot, Region


def bookable_slots(session: Session, community_ids: set[int], now: datetime):
    """Future slots with places left in these communities: (slot, service name, community name)."""
    return list(session.execute(select(AppointmentSlot, AppointmentService.name, Region.name)
                                .join(AppointmentService, AppointmentService.id == AppointmentSlot.service_id)
                                .join(Region, Region.id == AppointmentService.community_id)
                                .where(AppointmentService.community_id.in_(community_ids),
                                       AppointmentService.is_active.is_(True), AppointmentSlot.starts_at > now,
                                       AppointmentSlot.booked < AppointmentSlot.capacity)
                                .order_by(AppointmentSlot.starts_at).limit(60)).all())
