"""What admins see of delivery: the messages about the communities in their regions, the
failures among them (the stuck list's second half), and sending given-up messages again."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from flows.core import journal
from flows.core.db import in_transaction
from flows.notices.categories import INBOX
from schemas.clock import utcnow
from schemas.tables import NoticeStatus, Notification, Region

TROUBLE = (NoticeStatus.FAILED, NoticeStatus.GAVE_UP)


def in_scope(paths: Sequence[str]) -> ColumnElement[bool]:
    """A message about a community in these regions (its demand's, its order's shop, its
    report-in's); a city admin ('/<city>/') also sees the city-wide ones."""
    regions = select(Region.id).where(or_(*[Region.path.startswith(p) for p in paths]))
    condition: ColumnElement[bool] = Notification.community_id.in_(regions)
    if any(p.count("/") == 2 for p in paths):
        condition = or_(condition, Notification.community_id.is_(None))
    return condition


def failures(session: Session, paths: Sequence[str], limit: int = 20) -> tuple[int, list[Notification]]:
    """(how many, the newest `limit`) messages on a channel that failed or were given up."""
    where = (Notification.channel != INBOX, Notification.status.in_(TROUBLE), in_scope(paths))
    total = session.scalar(select(func.count()).select_from(Notification).where(*where)) or 0
    rows = list(session.scalars(select(Notification).where(*where).order_by(Notification.id.desc()).limit(limit)))
    return total, rows


def retry(session: Session, ids: Sequence[int], paths: Sequence[str], actor_id: int,
          now: datetime | None = None) -> int:
    """Queue given-up or failing messages again at once, with fresh attempts (after the admin
    fixed an address or the provider is back); only those in the admin's regions. One event."""
    now = now or utcnow()

    def work() -> int:
        chosen = select(Notification.id).where(Notification.id.in_(list(ids)), Notification.channel != INBOX,
                                               Notification.status.in_(TROUBLE), in_scope(paths))
        found = list(session.scalars(chosen))
        if not found:
            return 0
        session.execute(update(Notification).where(Notification.id.in_(found))
                        .values(status=NoticeStatus.QUEUED, due_at=None, attempts=0, last_error=None)
                        .execution_options(synchronize_session=False))
        journal.record(session, subject="notifications", subject_id=found[0], step="retry", from_state=None,
                       to_state=NoticeStatus.QUEUED.value, actor_id=actor_id, data={"ids": found}, at=now)
        return len(found)

    return in_transaction(session, work)
