"""Statements every room writes the same way: the one upsert, and the row count of a
conditional UPDATE.

SQLite and PostgreSQL both have `INSERT … ON CONFLICT`, with the same meaning; SQLAlchemy
builds it only from the dialect's own `insert`. One helper picks the dialect, so the tallies,
the ledger's accounts and the shop's purchase counters do not each write the choice again.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import CursorResult, Executable, FromClause
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session


def upsert(session: Session, table: type[DeclarativeBase] | FromClause, values: Mapping[str, Any], *,
           on: Sequence[str] | None = None, add: Sequence[str] = ()) -> None:
    """INSERT `values` in the caller's transaction; when a row with the same `on` columns (any
    unique key when None) exists, add the new values of the `add` columns to it, or, with no
    `add`, leave it as it is. Two racing first inserts both succeed (no IntegrityError).

    A key that names no column is refused: the statement is built without `.values()`, so the
    driver would otherwise drop a misspelt key silently and the column would take its default."""
    target = table if isinstance(table, FromClause) else table.__table__
    unknown = values.keys() - _columns(target)
    if unknown:
        raise ValueError(f"{target.description} has no column {', '.join(sorted(unknown))}")
    session.execute(_upsert(session.get_bind().dialect.name, target, tuple(on) if on is not None else None,
                            tuple(add)), dict(values))


@lru_cache(maxsize=64)
def _columns(target: FromClause) -> frozenset[str]:
    return frozenset(target.c.keys())


@lru_cache(maxsize=256)
def _upsert(dialect_name: str, target: FromClause, on: tuple[str, ...] | None, add: tuple[str, ...]) -> Executable:
    """The statement, built once per shape: the values go as parameters. Building it per call
    (`.values(...)`) was most of a message's cost on the claim path (profiled)."""
    dialect: Any = postgresql if dialect_name == "postgresql" else sqlite
    statement = dialect.insert(target)
    if add:
        return statement.on_conflict_do_update(
            index_elements=list(on or ()), set_={c: target.c[c] + statement.excluded[c] for c in add})
    return statement.on_conflict_do_nothing(index_elements=list(on) if on else None)


def changed(session: Session, statement: Executable, params: Mapping[str, Any] | None = None) -> int:
    """Run an UPDATE or DELETE in the caller's transaction; how many rows it changed.

    The count is how a conditional UPDATE decides a race (one winner: 1, everyone else: 0).
    `Session.execute` answers every statement with a plain `Result`; a DML statement's is a
    `CursorResult`, which has the count.
    """
    result = session.execute(statement, params)
    assert isinstance(result, CursorResult)  # always so for UPDATE and DELETE
    return result.rowcount


def insert_once(session: Session, table: type[DeclarativeBase], *, on: Sequence[str], **values: Any) -> int | None:
    """INSERT a row unless one with the same `on` key exists; the new row's id, or None when
    the key was taken. The INSERT itself claims the key, so of two requests racing with one
    key the second waits for the first and gets None (a replay), never an IntegrityError."""
    target = table.__table__
    dialect: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (dialect.insert(target).values(**values).on_conflict_do_nothing(index_elements=list(on))
                 .returning(target.c.id))
    return session.execute(statement).scalar_one_or_none()
