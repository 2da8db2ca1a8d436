"""The console's audit trail: one row per change, with who, when, which row, and the values of
the fields that changed before and after.

The diff is read from SQLAlchemy's attribute history, so it must be taken right after the
form filled the object and before anything flushes it (a query would autoflush and leave no
history to read): `diff` first, then checks, then `record` once the row has its id.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from schemas.tables import AuditLog

Snapshot = dict[str, Any]


def plain(value: Any) -> Any:
    """A value as JSON can keep it (enums by value, times in ISO, related rows by name)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value]
    if isinstance(value, (str, int, float, bool, dict)) or value is None:
        return value
    return getattr(value, "name", None) or str(value)


def _related(values) -> list[Any]:
    return sorted((plain(v) for v in values), key=str)


def diff(model: Any, created: bool) -> tuple[Snapshot, Snapshot]:
    """(before, after) of the fields that changed since the object was loaded (every field
    that has a value, for a new object). Collections (a member's skills) by name."""
    state = inspect(model)
    before: Snapshot = {}
    after: Snapshot = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if created:
            value = getattr(model, attr.key)
            if value is not None:
                after[attr.key] = plain(value)
        elif history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if plain(old) != plain(new):
                before[attr.key], after[attr.key] = plain(old), plain(new)
    for rel in state.mapper.relationships:
        if not rel.uselist or rel.viewonly:
            continue
        history = state.attrs[rel.key].history
        if history.added or history.deleted:
            old_values = _related(list(history.unchanged) + list(history.deleted))
            new_values = _related(list(history.unchanged) + list(history.added))
            if old_values != new_values:
                if not created:
                    before[rel.key] = old_values
                after[rel.key] = new_values
    return before, after


def snapshot(model: Any) -> Snapshot:
    """Every column of a row, for the record of a deletion."""
    return {a.key: plain(getattr(model, a.key)) for a in inspect(model).mapper.column_attrs}


def row_id(model: Any) -> str:
    """The row's primary key as text (the key of its history)."""
    identity = inspect(model).identity
    return ",".join(str(part) for part in identity) if identity else ""


def record(session: Session, actor_id: int | None, action: str, table: str, row: str, before: Snapshot | None,
           after: Snapshot | None, reason: str | None = None) -> AuditLog:
    """Add the audit row to the caller's transaction."""
    entry = AuditLog(actor_id=actor_id, action=action, table_name=table, row_id=row, before=before or None,
                     after=after or None, reason=reason)
    session.add(entry)
    return entry


def history(session: Session, table: str, row: str, limit: int = 200) -> list[AuditLog]:
    """A row's changes, newest first."""
    return list(session.scalars(select(AuditLog).where(AuditLog.table_name == table, AuditLog.row_id == row)
                                .order_by(AuditLog.id.desc()).limit(limit)))
