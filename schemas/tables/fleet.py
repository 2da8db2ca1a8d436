"""What the worker fleet shares besides the outbox: a named mark per periodic duty — where its
last pass got to (a cursor) and, while one worker does it, that worker's lease."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from schemas.tables.base import Base


class FleetMark(Base):
    """One duty's mark: `value` is its cursor (the reconciler: the last event it has seen);
    `holder` and `expires_at` the lease of the worker doing it now (None: nobody)."""

    __tablename__ = "fleet_marks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    holder: Mapped[str | None] = mapped_column(String(128))
    expires_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]
