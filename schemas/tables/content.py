"""News (宣传资讯), the convenience directory of nearby enterprises and merchants, and the
admin audit trail."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from schemas.tables.base import Base, created_at, str_enum


class DirectoryKind(str, enum.Enum):
    """Who offers the convenience services."""

    ENTERPRISE = "enterprise"
    INSTITUTION = "institution"
    MERCHANT = "merchant"


class NewsPost(Base):
    """An announcement of a region: a draft until `published_at`, which may lie in the future
    (it appears in the portal from then on)."""

    __tablename__ = "news_posts"
    __table_args__ = (Index("ix_news_region_published", "region_id", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    title: Mapped[str] = mapped_column(String(128))
    summary: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cover: Mapped[str | None] = mapped_column(String(64))  # a storage key (flows.core.storage)
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()


class DirectoryEntry(Base):
    """An enterprise, institution or merchant near a community, with its location."""

    __tablename__ = "directory_entries"
    __table_args__ = (
        CheckConstraint("lat IS NULL OR (lat BETWEEN -90 AND 90)", name="lat_range"),
        CheckConstraint("lng IS NULL OR (lng BETWEEN -180 AND 180)", name="lng_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    kind: Mapped[DirectoryKind] = mapped_column(str_enum(DirectoryKind))
    name: Mapped[str] = mapped_column(String(128))
    address: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(32))
    hours: Mapped[str | None] = mapped_column(String(64))
    lat: Mapped[float | None]
    lng: Mapped[float | None]
    description: Mapped[str | None] = mapped_column(Text)


class DirectoryService(Base):
    """A convenience service item (便民服务事项) offered by a directory entry."""

    __tablename__ = "directory_services"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("directory_entries.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    category: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    # the shared resource that offers this item, when the unit lists it (flows.sharing)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id", ondelete="SET NULL"), index=True)


class AuditLog(Base):
    """Who changed what in the admin console, before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    reason: Mapped[str | None] = mapped_column(String(255))
    at: Mapped[datetime] = created_at()


class Tally(Base):
    """A running total per community, local day and figure, for the dashboard: kept by the
    transaction that changes what it counts (flows/tallies.py), so the dashboard reads a few
    hundred rows instead of counting every demand and ledger entry."""

    __tablename__ = "tallies"

    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
