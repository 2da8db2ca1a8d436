"""Bookable appointment services (预约服务) with time slots and bookings."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from schemas.tables.base import Base, created_at, str_enum


class BookingStatus(str, enum.Enum):
    """A booking holds a seat of its slot until cancelled."""

    BOOKED = "booked"
    CANCELLED = "cancelled"


class AppointmentService(Base):
    """A service residents can book (haircuts, legal advice, health checks...)."""

    __tablename__ = "appointment_services"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    task_type_id: Mapped[int] = mapped_column(ForeignKey("task_types.id"))
    provider_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(default=True)


class AppointmentSlot(Base):
    """A time slot of a service; `booked` is a CHECK-guarded counter up to `capacity`."""

    __tablename__ = "appointment_slots"
    __table_args__ = (
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("appointment_services.id"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    capacity: Mapped[int] = mapped_column(default=1)
    booked: Mapped[int] = mapped_column(default=0)


class Booking(Base):
    """A resident's booking of a slot; it becomes a demand of the appointment workflow."""

    __tablename__ = "bookings"
    # one live booking per person and slot: a cancelled one may be booked again
    __table_args__ = (Index("uq_bookings_booked", "slot_id", "user_id", unique=True,
                            sqlite_where=text("status = 'booked'"), postgresql_where=text("status = 'booked'")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("appointment_slots.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    demand_id: Mapped[int | None] = mapped_column(ForeignKey("demands.id"), index=True)  # a demand's booking
    status: Mapped[BookingStatus] = mapped_column(str_enum(BookingStatus), default=BookingStatus.BOOKED)
    created_at: Mapped[datetime] = created_at()
