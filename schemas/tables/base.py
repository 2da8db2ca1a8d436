"""The declarative base and shared column helpers for every table."""
from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Enum, MetaData, Table, TypeDecorator, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from schemas.clock import utcnow

# Stable constraint names so Alembic migrations read the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on both engines: SQLite keeps no zone, so we store naive UTC and
    hand back aware values, and comparisons never mix naive and aware times."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: Yijia stores only timezone-aware times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base of all Yijia tables."""

    # Every model here is mapped to one Table (SQLAlchemy types it as any FromClause), so
    # Core statements on `Model.__table__` type-check.
    __table__: ClassVar[Table]

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        datetime: UTCDateTime(),
    }


def created_at() -> Mapped[datetime]:
    """A creation timestamp filled by Python (portable) with a server default as backstop."""
    return mapped_column(default=utcnow, server_default=func.current_timestamp())


def str_enum(cls: type[enum.Enum], length: int = 24) -> Enum:
    """Store an enum by its value as VARCHAR plus a CHECK, identical on both engines."""
    return Enum(
        cls,
        native_enum=False,
        length=length,
        values_callable=lambda c: [m.value for m in c],
        create_constraint=True,
        validate_strings=True,
        name=cls.__name__.lower(),
    )
