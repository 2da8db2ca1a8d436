"""Apps' log-ins: a device session with a short-lived access token and a refresh token.

A mini-program cannot keep a cookie the way a browser does, and a token that lives for weeks
is worth stealing. So an app holds two random tokens; the database keeps only their SHA-256:
the access token opens the API for `ACCESS_LIFETIME`, the refresh token buys a new pair (and
is spent doing so). A refresh token presented again after it was spent means two holders of
one token: the whole device session ends, the owner logs in again and the thief is out.
Every device is listed on the owner's 设备 page and can be ended there; a password change
ends them all, as it ends the web sessions.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import bindparam, delete, or_, select, text, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from flows.core.db import in_transaction
from flows.core.refusals import Refused
from flows.people.actors import Person, actor_sql, person_of
from schemas.tables import AppToken, User
from schemas.tables.base import UTCDateTime

ACCESS_LIFETIME = timedelta(minutes=15)
REFRESH_LIFETIME = timedelta(days=30)
# `seen_at` is written at most this often: the devices page shows use to the minute.
TOUCH_EVERY = timedelta(seconds=60)
MAX_DEVICES = 20  # per person: the oldest device session ends when a 21st signs in


@dataclass(frozen=True)
class Pair:
    """What the app keeps: the two tokens and when the access token stops working."""

    device_id: int
    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime


@dataclass(frozen=True)
class Bearer:
    user_id: int
    device_id: int
    must_change_password: bool


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_tokens(now: datetime) -> tuple[str, str, dict]:
    access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    return access, refresh, {"access_hash": _hash(access), "access_expires_at": now + ACCESS_LIFETIME,
                             "refresh_hash": _hash(refresh), "refresh_expires_at": now + REFRESH_LIFETIME,
                             "seen_at": now}


def issue(session: Session, user_id: int, device: str, via: str, now: datetime) -> Pair:
    """A new device session for `user_id` (after a password or WeChat log-in), committed.
    Expired sessions of everyone, and this person's sessions beyond `MAX_DEVICES`, go here."""
    access, refresh, values = _new_tokens(now)

    def work() -> Pair:
        session.execute(delete(AppToken).where(AppToken.refresh_expires_at < now))
        keep = select(AppToken.id).where(AppToken.user_id == user_id).order_by(
            AppToken.seen_at.desc()).limit(MAX_DEVICES - 1)
        session.execute(delete(AppToken).where(AppToken.user_id == user_id, AppToken.id.not_in(keep)))
        row = AppToken(user_id=user_id, device=(device or "").strip()[:64] or "app", via=via, created_at=now,
                       **values)
        session.add(row)
        session.flush()
        return Pair(row.id, access, refresh, values["access_expires_at"], values["refresh_expires_at"])

    return in_transaction(session, work)


def bearer(session: Session, token: str | None, now: datetime) -> tuple[Bearer, Person] | None:
    """Whose access token this is, with their acting context, while it is live and its user
    active; else None. One statement: this runs on every call an app makes."""
    if not token:
        return None
    rows = session.execute(_BEARER_AS, {"access_hash": _hash(token), "now": now,
                                        "touch_before": now - TOUCH_EVERY}).all()
    found = next((row for row in rows if row[0] == "l"), None)
    if found is None or found[3] == _ENDED:
        return None
    device_id, user_id = int(found[2]), next(row[3] for row in rows if row[0] == "w")
    if found[3] == _STALE:
        in_transaction(session, lambda: session.execute(
            update(AppToken).where(AppToken.id == device_id).values(seen_at=now)))
    person = person_of(user_id, [row for row in rows if row[0] not in ("l", "w")])
    return (Bearer(user_id, device_id, found[1] == "y"), person) if person is not None else None


# The token's row judged in the database (expired or its user inactive, live with its idle clock
# to write, else live), its user, and that user's rows (`actor_sql`).
_ENDED, _STALE = 0, 2
_BEARER_AS = text("""
    WITH who AS (
        SELECT app_tokens.id, app_tokens.user_id, app_tokens.access_expires_at, app_tokens.seen_at,
               users.is_active, users.must_change_password
          FROM app_tokens JOIN users ON users.id = app_tokens.user_id
         WHERE app_tokens.access_hash = :access_hash)
    SELECT 'l' AS kind, CASE WHEN must_change_password THEN 'y' ELSE 'n' END AS role,
           CAST(id AS VARCHAR(20)) AS txt,
           CASE WHEN NOT is_active OR access_expires_at <= :now THEN 0
                WHEN seen_at <= :touch_before THEN 2 ELSE 1 END AS num
      FROM who
    UNION ALL
    SELECT 'w', NULL, NULL, user_id FROM who
    UNION ALL""" + actor_sql("(SELECT user_id FROM who)")).bindparams(
    bindparam("now", type_=UTCDateTime()), bindparam("touch_before", type_=UTCDateTime()))


def refresh(session: Session, token: str, now: datetime) -> Pair:
    """A new pair for a live refresh token, which is spent. A spent one presented again ends
    its device session (refused as `api.token_reused`); an unknown or expired one is refused."""
    token_hash = _hash(token or "")

    def work() -> Pair:
        row = session.scalar(select(AppToken).where(
            or_(AppToken.refresh_hash == token_hash, AppToken.previous_refresh_hash == token_hash))
            .with_for_update())
        if row is None or row.refresh_expires_at <= now:
            raise Refused("api.token_invalid")
        if row.refresh_hash != token_hash:  # spent before: someone else holds a copy
            session.delete(row)
            return None  # type: ignore[return-value]
        user = session.get(User, row.user_id)
        if user is None or not user.is_active:
            raise Refused("api.token_invalid")
        access, fresh, values = _new_tokens(now)
        # conditional on the hash still being this one: two refreshes racing, one wins
        done = cast(CursorResult, session.execute(
            update(AppToken).where(AppToken.id == row.id, AppToken.refresh_hash == token_hash)
            .values(previous_refresh_hash=token_hash, **values)))
        if done.rowcount != 1:
            raise Refused("api.token_invalid")
        return Pair(row.id, access, fresh, values["access_expires_at"], values["refresh_expires_at"])

    pair = in_transaction(session, work)
    if pair is None:
        raise Refused("api.token_reused")
    return pair


def devices(session: Session, user_id: int) -> list[AppToken]:
    """The person's device sessions, most recently used first (for the devices page)."""
    return list(session.scalars(select(AppToken).where(AppToken.user_id == user_id)
                                .order_by(AppToken.seen_at.desc(), AppToken.id.desc())))


def revoke(session: Session, user_id: int, device_id: int) -> bool:
    """End one of the person's own device sessions; False when there was none of theirs."""
    return in_transaction(session, lambda: cast(CursorResult, session.execute(
        delete(AppToken).where(AppToken.id == device_id, AppToken.user_id == user_id))).rowcount == 1)


def revoke_all(session: Session, user_id: int, keep: int | None = None) -> int:
    """End every device session of a person but `keep` (the app asking); the caller commits
    (with the password change)."""
    statement = delete(AppToken).where(AppToken.user_id == user_id)
    if keep is not None:
        statement = statement.where(AppToken.id != keep)
    return cast(CursorResult, session.execute(statement)).rowcount
