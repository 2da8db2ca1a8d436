"""Regions: city → district → street → community, each with coordinates."""
from __future__ import annotations

import enum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from schemas.tables.base import Base, str_enum


class RegionLevel(str, enum.Enum):
    """Administrative level; each level's parent is the level above it."""

    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"


class Region(Base):
    """A node of the region tree.

    `path` is the materialised chain of ids (`/1/4/17/`), so "everything in district 4"
    is one indexed prefix match instead of a recursive query: scoping uses it everywhere.
    """

    __tablename__ = "regions"
    __table_args__ = (
        CheckConstraint("lat IS NULL OR (lat BETWEEN -90 AND 90)", name="lat_range"),
        CheckConstraint("lng IS NULL OR (lng BETWEEN -180 AND 180)", name="lng_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    level: Mapped[RegionLevel] = mapped_column(str_enum(RegionLevel))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(255), index=True, default="")
    address: Mapped[str | None] = mapped_column(String(255))
    # The community's own telephone: the "call the community" button on every page (长辈版).
    phone: Mapped[str | None] = mapped_column(String(32))
    lat: Mapped[float | None]
    lng: Mapped[float | None]

    parent: Mapped[Region | None] = relationship(remote_side=[id])

    def contains(self, other: Region) -> bool:
        """True when `other` is this region or lies below it."""
        return other.path.startswith(self.path)
