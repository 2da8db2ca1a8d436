"""Shared resources (服务资源共享): rooms, equipment, vehicles and services that organisations,
units, merchants and communities lend, their opening hours and exceptions, and the time ranges
booked by requests."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from schemas.tables.base import Base, created_at, str_enum


class ResourceKind(str, enum.Enum):
    """What is shared: a room or venue, a piece of equipment, a vehicle, a professional service."""

    ROOM = "room"
    EQUIPMENT = "equipment"
    VEHICLE = "vehicle"
    SERVICE = "service"


class ResourceBookingStatus(str, enum.Enum):
    """A booking holds its time range until released (declined, cancelled)."""

    HELD = "held"
    RELEASED = "released"


class Resource(Base):
    """One thing shared, in a community. Its owner is an organisation (a unit's, an institution's
    or a merchant's), whose admins keep it and answer its requests and which earns the points;
    the community's admins (and those above) keep it too. A unit or merchant of the directory
    may be named as who offers it."""

    __tablename__ = "resources"
    __table_args__ = (CheckConstraint("capacity IS NULL OR capacity >= 1", name="capacity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    # the organisation that shares it; none when the community itself does (its admins answer)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    directory_entry_id: Mapped[int | None] = mapped_column(ForeignKey("directory_entries.id"), index=True)
    kind: Mapped[ResourceKind] = mapped_column(str_enum(ResourceKind, 16))
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(255))
    lat: Mapped[float | None]
    lng: Mapped[float | None]
    capacity: Mapped[int | None]
    equipment: Mapped[str | None] = mapped_column(String(255))
    rules: Mapped[str | None] = mapped_column(Text)
    photo: Mapped[str | None] = mapped_column(String(64))  # a storage key (flows.core.storage)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at()


class ResourceHours(Base):
    """A recurring opening: on a weekday (0 = Monday), from `opens` to `closes`, in minutes of
    the local day (Beijing time)."""

    __tablename__ = "resource_hours"
    __table_args__ = (CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
                      CheckConstraint("opens >= 0 AND closes <= 1440 AND closes > opens", name="opens_before_closes"))

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]
    opens: Mapped[int]
    closes: Mapped[int]


class ResourceClosure(Base):
    """An exception to the opening hours: the resource is closed all that local day."""

    __tablename__ = "resource_closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(128))


class ResourceBooking(Base):
    """A time range of a resource held by a request (a demand of a `record: resource_booking`
    workflow), optionally for another demand (a room for this activity). Overlaps are refused
    with the resource row locked (flows.sharing.bookings)."""

    __tablename__ = "resource_bookings"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),
                      Index("ix_resource_bookings_range", "resource_id", "starts_at", "ends_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"))
    demand_id: Mapped[int] = mapped_column(ForeignKey("demands.id"), unique=True)
    for_demand_id: Mapped[int | None] = mapped_column(ForeignKey("demands.id"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[ResourceBookingStatus] = mapped_column(str_enum(ResourceBookingStatus, 16),
                                                          default=ResourceBookingStatus.HELD)
    created_at: Mapped[datetime] = created_at()
