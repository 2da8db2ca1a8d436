"""The in-app inbox: a person's messages, the unread count on every page, and opening one."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from flows.core.db import in_transaction
from flows.core.i18n import SOURCE, language
from flows.core.refusals import Refused
from flows.notices.categories import INBOX
from schemas.clock import utcnow
from schemas.tables import Notification


def inbox(session: Session, user_id: int, *, limit: int = 100, before: int | None = None) -> list[Notification]:
    """A person's in-app messages, newest first (older than message `before`, for paging)."""
    query = select(Notification).where(Notification.user_id == user_id, Notification.channel == INBOX)
    if before is not None:
        query = query.where(Notification.id < before)
    return list(session.scalars(query.order_by(Notification.id.desc()).limit(limit)))


def words(notice: Notification, locale: str | None) -> tuple[str, str]:
    """A message's title and text in the reader's language now: its translation when it was
    written with one, else as written."""
    lang = language(locale)
    found = (notice.texts or {}).get(lang) if lang != SOURCE else None
    if isinstance(found, list) and len(found) == 2 and all(isinstance(t, str) for t in found):
        return found[0], found[1]
    return notice.title, notice.body or ""


def unread_count(session: Session, user_id: int) -> int:
    """How many of a person's in-app messages they have not opened (the badge on every page)."""
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.channel == INBOX, Notification.read_at.is_(None))) or 0


def open_notice(session: Session, user_id: int, notice_id: int, *, now: datetime | None = None) -> Notification:
    """Mark one of the person's messages read and hand it back; someone else's answers
    `not_found`, as a missing one does, so ids reveal nothing."""
    notice = session.get(Notification, notice_id)
    if notice is None or notice.user_id != user_id or notice.channel != INBOX:
        session.rollback()
        raise Refused("notice.not_found")
    if notice.read_at is None:
        when = now or utcnow()
        in_transaction(session, lambda: session.execute(
            update(Notification).where(Notification.id == notice_id, Notification.read_at.is_(None))
            .values(read_at=when).execution_options(synchronize_session=False)))
        session.refresh(notice)
    return notice



def read_all(session: Session, user_id: int, up_to: int, *, now: datetime | None = None) -> int:
    """Mark read the person's unread messages up to message `up_to` — the newest they were
    shown, so one that arrived after the page was drawn stays unread — and say how many. Safe
    to run twice: the second marks nothing."""
    when = now or utcnow()
    result = in_transaction(session, lambda: session.execute(
        update(Notification).where(Notification.user_id == user_id, Notification.channel == INBOX,
                                   Notification.read_at.is_(None), Notification.id <= up_to)
        .values(read_at=when).execution_options(synchronize_session=False)))
    return int(getattr(result, "rowcount", 0) or 0)
