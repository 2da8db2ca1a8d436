"""Log-in sessions kept in the database, so that they can be ended.

A signed cookie alone cannot be taken back: a copy of it stays valid until it expires. Here
the cookie carries a random token and the database its SHA-256; a request is logged in only
while that row exists and is neither idle nor too old. Every web worker and machine reads the
same rows, and a password change deletes them in the same transaction as the new hash.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import bindparam, delete, select, text, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from flows.core.db import in_transaction
from flows.people import app_tokens
from flows.people.actors import Person, actor_sql, person_of
from schemas.tables import LoginSession
from schemas.tables.base import UTCDateTime

# `seen_at` is written at most this often per session: idle time is measured to the minute,
# and a request does not pay for a write every time.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class Timeouts:
    idle: timedelta
    absolute: timedelta


@dataclass(frozen=True)
class LiveSession:
    user_id: int
    must_change_password: bool


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, user_id: int, now: datetime, timeouts: Timeouts) -> str:
    """A new session for `user_id`; returns the token for the cookie (the database keeps its hash).
    Sessions past their absolute timeout are removed here, so the table does not grow."""
    token = secrets.token_urlsafe(32)

    def work() -> str:
        session.execute(delete(LoginSession).where(LoginSession.created_at < now - timeouts.absolute))
        session.add(LoginSession(token_hash=_hash(token), user_id=user_id, created_at=now, seen_at=now))
        return token

    return in_transaction(session, work)


def check_as(session: Session, token: str | None, user_id: int, now: datetime,
             timeouts: Timeouts) -> tuple[LiveSession, Person] | None:
    """The live session named by `token` with its person's acting context, or None (unknown,
    ended, idle too long, too old, someone else's, or its user deactivated). Refreshes
    `seen_at` at most once a minute. One statement: this runs on every logged-in request."""
    if not token:
        return None
    rows = session.execute(_LIVE_AS, {"token_hash": _hash(token), "user_id": user_id,
                                      "oldest": now - timeouts.absolute, "idle_since": now - timeouts.idle,
                                      "touch_before": now - TOUCH_EVERY}).all()
    login = next((row for row in rows if row[0] == "l"), None)
    if login is None:
        return None
    if login[3] == _ENDED:
        in_transaction(session, lambda: session.execute(
            delete(LoginSession).where(LoginSession.token_hash == _hash(token))))
        return None
    if login[3] == _STALE:
        in_transaction(session, lambda: session.execute(
            update(LoginSession).where(LoginSession.token_hash == _hash(token)).values(seen_at=now)))
    person = person_of(user_id, [row for row in rows if row[0] != "l"])
    return (LiveSession(user_id, login[1] == "y"), person) if person is not None else None


# The session's row, judged in the database, ahead of the acting user's rows (`actor_sql`).
_ENDED, _STALE = 0, 2  # else 1: live
_LIVE_AS = text("""
    SELECT 'l' AS kind, CASE WHEN users.must_change_password THEN 'y' ELSE 'n' END AS role, NULL AS txt,
           CASE WHEN NOT users.is_active OR login_sessions.created_at <= :oldest
                     OR login_sessions.seen_at <= :idle_since THEN 0
                WHEN login_sessions.seen_at <= :touch_before THEN 2 ELSE 1 END AS num
      FROM login_sessions JOIN users ON users.id = login_sessions.user_id
     WHERE login_sessions.token_hash = :token_hash AND login_sessions.user_id = :user_id
    UNION ALL""" + actor_sql()).bindparams(*(bindparam(name, type_=UTCDateTime())
                                         for name in ("oldest", "idle_since", "touch_before")))


def close(session: Session, token: str | None) -> None:
    """End one session (log-out): every copy of its cookie stops working."""
    if token:
        in_transaction(session, lambda: session.execute(
            delete(LoginSession).where(LoginSession.token_hash == _hash(token))))


def close_all(session: Session, user_id: int, keep: str | None = None, keep_device: int | None = None) -> int:
    """End every session of a user but `keep` (the caller's own web session) or `keep_device`
    (the caller's own app device session), apps' device sessions included; the caller commits,
    so this lands in the same transaction as the password change that asks for it."""
    statement = delete(LoginSession).where(LoginSession.user_id == user_id)
    if keep:
        statement = statement.where(LoginSession.token_hash != _hash(keep))
    return (cast(CursorResult, session.execute(statement)).rowcount
            + app_tokens.revoke_all(session, user_id, keep=keep_device))


def close_others(session: Session, user_id: int, keep: str | None = None, keep_device: int | None = None) -> int:
    """"Sign out everywhere else": `close_all`, committed. Returns how many sessions ended."""
    return in_transaction(session, lambda: close_all(session, user_id, keep=keep, keep_device=keep_device))


def count(session: Session, user_id: int) -> int:
    """How many sessions a user has open (for the account page)."""
    from sqlalchemy import func

    return session.scalar(select(func.count()).select_from(LoginSession).where(LoginSession.user_id == user_id)) or 0
