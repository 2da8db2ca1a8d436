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

from sqlalchemy import delete, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from flows.core.db import in_transaction
from flows.people import app_tokens
from schemas.tables import LoginSession, User

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


def check(session: Session, token: str | None, now: datetime, timeouts: Timeouts) -> LiveSession | None:
    """The live session named by `token`, or None (unknown, ended, idle too long, too old, or
    its user deactivated). Refreshes `seen_at` at most once a minute."""
    if not token:
        return None
    row = session.execute(
        select(LoginSession.token_hash, LoginSession.user_id, LoginSession.created_at, LoginSession.seen_at,
               User.is_active, User.must_change_password)
        .join(User, User.id == LoginSession.user_id).where(LoginSession.token_hash == _hash(token))).first()
    if row is None:
        return None
    if not row.is_active or row.created_at + timeouts.absolute <= now or row.seen_at + timeouts.idle <= now:
        in_transaction(session, lambda: session.execute(
            delete(LoginSession).where(LoginSession.token_hash == row.token_hash)))
        return None
    if now - row.seen_at >= TOUCH_EVERY:
        in_transaction(session, lambda: session.execute(
            update(LoginSession).where(LoginSession.token_hash == row.token_hash).values(seen_at=now)))
    return LiveSession(row.user_id, row.must_change_password)


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
