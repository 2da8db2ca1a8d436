"""A person's data on request: everything that names them, as one JSON document, and erasure.

Export follows every column that refers to `users.id`, so a table added later is included
without code. Erasure keeps what the programme must keep (the points ledger balances, demands
and orders stay counted) and removes what identifies the person: name, phone, user name,
password, profile, sessions, the words they wrote and the photos they uploaded. The event log
is append-only (a database trigger refuses changes): its rows keep the step, time and form
values, now pointing at an anonymous user (docs/security.md says so).
"""
from __future__ import annotations

import secrets
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, cast

from sqlalchemy import delete, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable
from werkzeug.security import generate_password_hash

from flows.core.db import in_transaction
from flows.core.refusals import Refused
from flows.core.storage import Storage, StorageRefused
from flows.people import usernames
from schemas.clock import utcnow
from schemas.tables import (
    ApiReplay,
    AppToken,
    AuditLog,
    Base,
    Demand,
    Evaluation,
    LoginSession,
    Member,
    NewsPost,
    NoticeChoice,
    Notification,
    Resource,
    ServiceRecord,
    ShopItem,
    User,
    member_skills,
)

ERASED_NAME = "已注销用户"


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _user(session: Session, username: str) -> User:
    user = usernames.find(session, username)  # in any case, as at log-in
    if user is None:
        raise Refused("account.not_found")
    return user


def export(session: Session, username: str) -> dict[str, Any]:
    """Every row that refers to the user, by table (the user row itself first; no hashes)."""
    user = _user(session, username)
    out: dict[str, Any] = {"exported_at": utcnow().isoformat()}
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if any(fk.column.table.name == "users" for fk in c.foreign_keys)]
        if table.name == "users":
            condition = table.c.id == user.id
        elif columns:
            condition = columns[0] == user.id
            for column in columns[1:]:
                condition = condition | (column == user.id)
        else:
            continue
        rows = session.execute(select(table).where(condition)).mappings().all()
        hidden = {"password_hash", "token_hash"}
        if rows:
            out[table.name] = [{k: _plain(v) for k, v in row.items() if k not in hidden} for row in rows]
    return out


def erase(session: Session, username: str, storage: Storage | None = None) -> dict[str, int]:
    """Anonymise the user in one transaction; returns what was changed, by kind. Uploaded
    photos are deleted from storage after the commit."""
    user = _user(session, username)
    uid = user.id
    photos: list[str] = list(session.scalars(select(ServiceRecord.proof).where(ServiceRecord.user_id == uid,
                                                                    ServiceRecord.proof.is_not(None))))

    def changed(statement: Executable) -> int:
        return cast(CursorResult, session.execute(statement)).rowcount

    def work() -> dict[str, int]:
        counts = {
            "sessions": changed(delete(LoginSession).where(LoginSession.user_id == uid)),
            # the apps' too: device names people type ("张三的 iPhone") and the answers kept for
            # their Idempotency-Keys (pickup codes, outcomes), keyed `<user>:<key>`
            "app_devices": changed(delete(AppToken).where(AppToken.user_id == uid)),
            "api_replays": changed(delete(ApiReplay).where(or_(
                ApiReplay.key.startswith(f"{uid}:", autoescape=True),
                ApiReplay.key.startswith(f"console:{uid}:", autoescape=True)))),  # the console's create keys
            "skills": changed(delete(member_skills).where(member_skills.c.member_id == uid)),
            "profile": changed(update(Member).where(Member.user_id == uid).values(work_unit=None, availability=None,
                                                                                    bio=None)),
            "demands": changed(update(Demand).where(Demand.requester_id == uid).values(title=ERASED_NAME,
                                                                                         description=None, place=None)),
            "service_records": changed(update(ServiceRecord).where(ServiceRecord.user_id == uid).values(note=None,
                                                                                                          proof=None)),
            "evaluations": changed(update(Evaluation).where(Evaluation.by_user_id == uid).values(comment=None)),
            # their own inbox goes; messages to others about their demands quoted its title and place
            "notice_choices": changed(delete(NoticeChoice).where(NoticeChoice.user_id == uid)),
            "notifications": changed(delete(Notification).where(Notification.user_id == uid))
            + changed(update(Notification).where(Notification.demand_id.in_(
                select(Demand.id).where(Demand.requester_id == uid))).values(title=ERASED_NAME, body="")),
        }
        session.execute(update(User).where(User.id == uid).values(
            username=f"erased-{uid}", display_name=ERASED_NAME, phone=None, email=None, wechat_openid=None,
            is_active=False, must_change_password=False,
            password_hash=generate_password_hash(secrets.token_urlsafe(32))))
        session.add(AuditLog(actor_id=None, action="erase", table_name="users", row_id=str(uid), after=counts))
        return counts

    counts = in_transaction(session, work)
    if storage is not None:
        counts.update(_delete_photos(session, storage, uid, photos))
    return counts


def _delete_photos(session: Session, storage: Storage, uid: int, photos: list[str]) -> dict[str, int]:
    """Remove the person's proof photos, after the commit that unlinked them. A key something
    else still names stays (an app may send any stored key as a proof: a news cover, another
    member's photo); one the store fails to remove is written to the audit log, so an operator
    can remove it — the records no longer name it, and a second erase would not find it."""
    still = set(session.scalars(select(ServiceRecord.proof).where(ServiceRecord.proof.in_(photos))))
    for column in (NewsPost.cover, ShopItem.picture, Resource.photo):
        still |= set(session.scalars(select(column).where(column.in_(photos))))
    removed, failed = 0, []
    for key in dict.fromkeys(photos):
        if key in still:
            continue
        try:
            removed += storage.delete(key)
        except StorageRefused:
            failed.append(key)
    if failed:
        in_transaction(session, lambda: session.add(AuditLog(
            actor_id=None, action="erase_photos_failed", table_name="users", row_id=str(uid), after={"keys": failed})))
    return {"photos": removed, "photos_kept": len(set(photos) & still), "photos_failed": len(failed)}
