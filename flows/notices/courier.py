"""The courier: delivers the messages waiting on channels other than the inbox.

A pass takes a batch of due rows, each by a conditional UPDATE that pushes its due time one
lease ahead and counts the attempt, so two couriers (two workers) never take the same row, and
a courier killed mid-send leaves the row to be taken again when the lease ends. It sends
outside any transaction (a slow provider holds no lock) and records the outcome: `sent` with
the provider's receipt; `failed` with the next try after an exponential back-off (or the
provider's Retry-After); `gave_up` after the last attempt or when the message cannot be
delivered at all. A row due inside the quiet hours waits for their end without an attempt.

Exactly once: the lease means a row is sent again only if its courier died between the send
and the record; the key sent with it (`<instance>-notice-<id>`) makes an idempotent provider
(the SMS adapter) deliver that repeat once. For SMTP and WeChat, which have no such key, a
death in that window delivers at most twice (counted in the row's attempts)."""
from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from flows.notices import quiet
from flows.notices.categories import INBOX
from flows.notices.choices import address
from flows.notices.providers import Outgoing, Provider, TryLater, Undeliverable, configured
from schemas.clock import utcnow
from schemas.settings import get_settings
from schemas.tables import NoticeStatus, Notification, User

log = logging.getLogger(__name__)
WAITING = (NoticeStatus.QUEUED, NoticeStatus.FAILED)
BATCH = 100


MAX_WAIT = 3600.0  # the longest a provider's Retry-After is honoured


def backoff(attempts: int) -> float:
    """Seconds before the next try after `attempts` failed ones: 30 s, 1 min, 2 min … 1 h."""
    return float(min(30 * 2 ** max(attempts - 1, 0), 3600))


@dataclass
class Pass:
    """What one pass did, for the worker's log and the benchmarks (counted from its senders)."""

    sent: int = 0
    failed: int = 0
    gave_up: int = 0
    deferred: int = 0
    taken: list[tuple[int, datetime]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, outcome: str) -> None:
        with self.lock:
            setattr(self, outcome, getattr(self, outcome) + 1)


def _due(now: datetime):
    return (Notification.channel != INBOX, Notification.status.in_(WAITING),
            or_(Notification.due_at.is_(None), Notification.due_at <= now))


def take(session: Session, now: datetime, limit: int = BATCH, lease: float | None = None) -> list[tuple[int, datetime]]:
    """Lease up to `limit` due rows to this courier (committed): (id, lease end) for each row it
    won. The lease end is the fencing token: the courier acts on the row only while the row
    still carries it."""
    until = now + timedelta(seconds=lease if lease is not None else get_settings().notice_lease_seconds)
    won: list[tuple[int, datetime]] = []
    for notice_id in session.scalars(select(Notification.id).where(*_due(now)).order_by(Notification.id).limit(limit)):
        # the WHERE is the race: a row another courier leased meanwhile is no longer due
        hit = session.execute(update(Notification).where(Notification.id == notice_id, *_due(now))
                              .values(due_at=until, attempts=Notification.attempts + 1)
                              .execution_options(synchronize_session=False))
        if getattr(hit, "rowcount", 0) == 1:
            won.append((notice_id, until))
    session.commit()
    return won


def _held(notice_id: int, until: datetime):
    """The row is still ours: waiting, and carrying our lease end."""
    return (Notification.id == notice_id, Notification.status.in_(WAITING), Notification.due_at == until)


def _renew(session: Session, notice_id: int, until: datetime, now: datetime) -> datetime | None:
    """Just before sending: extend our lease from now (a row can wait in the pass's queue) —
    or learn that another courier took it over when ours ran out (then we must not send)."""
    fresh = max(now, utcnow()) + timedelta(seconds=get_settings().notice_lease_seconds)
    if fresh == until:
        fresh += timedelta(microseconds=1)
    hit = session.execute(update(Notification).where(*_held(notice_id, until)).values(due_at=fresh)
                          .execution_options(synchronize_session=False))
    session.commit()
    return fresh if getattr(hit, "rowcount", 0) == 1 else None


def _finish(session: Session, notice_id: int, until: datetime, **values) -> None:
    if "last_error" in values and values["last_error"]:
        values["last_error"] = scrub(values["last_error"])
    session.execute(update(Notification).where(*_held(notice_id, until)).values(**values)
                    .execution_options(synchronize_session=False))
    session.commit()


_ADDRESS = re.compile(r"[^\s@'\"<>(){}\[\],;:]+@[^\s@'\"<>(){}\[\],;:]+|\+?\d[\d -]{5,}\d")


def scrub(error: str) -> str:
    """An error as admins may read it: no e-mail address or phone number (providers quote them)."""
    return _ADDRESS.sub("***", error)[:500]


def send_one(session: Session, notice_id: int, providers: dict[str, Provider], now: datetime, out: Pass,
             until: datetime | None = None) -> None:
    """Send one leased row (while it still carries our lease end `until`) and record how it went."""
    settings = get_settings()
    notice = session.get(Notification, notice_id)
    if notice is None:
        return
    until = until if until is not None else notice.due_at
    if until is None:
        return
    user = session.get(User, notice.user_id)
    later = quiet.not_before(notice.channel, now)
    if later is not None:  # night fell while it waited: not an attempt, just later
        _finish(session, notice_id, until, due_at=later, attempts=max(notice.attempts - 1, 0))
        out.count("deferred")
        return
    provider = providers.get(notice.channel)
    where = address(user, notice.channel) if user is not None and user.is_active else None
    if provider is None or where is None:
        _finish(session, notice_id, until, status=NoticeStatus.GAVE_UP, due_at=None,
                last_error="channel not configured" if provider is None else "no address")
        out.count("gave_up")
        return
    link = f"{settings.base_url}/demands/{notice.demand_id}" if notice.demand_id else f"{settings.base_url}/me/messages"
    outgoing = Outgoing(key=f"{settings.instance}-notice-{notice.id}", address=where, title=notice.title,
                        body=notice.body, link=link, demand_id=notice.demand_id)
    attempts = notice.attempts
    session.rollback()
    held = _renew(session, notice_id, until, now)
    if held is None:  # our lease ran out while the row waited in the queue, and someone took it
        return
    try:  # no transaction is held across the network
        receipt = provider.send(outgoing)
    except Undeliverable as exc:
        _finish(session, notice_id, held, status=NoticeStatus.GAVE_UP, due_at=None, last_error=str(exc))
        out.count("gave_up")
        return
    except Exception as exc:  # TryLater, or a provider's own bug: retried, never lost
        after = min(exc.after, MAX_WAIT) if isinstance(exc, TryLater) and exc.after else 0.0
        if attempts >= settings.notice_max_attempts:
            _finish(session, notice_id, held, status=NoticeStatus.GAVE_UP, due_at=None, last_error=str(exc))
            out.count("gave_up")
        else:
            _finish(session, notice_id, held, status=NoticeStatus.FAILED, last_error=str(exc),
                    due_at=now + timedelta(seconds=max(backoff(attempts), after)))
            out.count("failed")
        if not isinstance(exc, TryLater):
            log.exception("provider %s failed on notice %s", notice.channel, notice_id)
        return
    _finish(session, notice_id, held, status=NoticeStatus.SENT, sent_at=utcnow(), due_at=None, last_error=None,
            provider_ref=(receipt or "")[:120] or None)
    out.count("sent")


def deliver_due(factory: Callable[[], Session], now: datetime | None = None, providers: dict[str, Provider] | None = None,
                limit: int = BATCH, pool: ThreadPoolExecutor | None = None) -> Pass:
    """One pass: take what is due and send it (on `pool`'s threads, which keep their SMTP
    connections between passes; a pass of its own when none is given)."""
    now = now or utcnow()
    providers = configured() if providers is None else providers
    out = Pass()
    with factory() as session:
        out.taken = take(session, now, limit)
    if not out.taken:
        return out

    def send(leased: tuple[int, datetime]) -> None:
        with factory() as own:  # a session per thread
            send_one(own, leased[0], providers, now, out, until=leased[1])

    # Sends wait on the network, not the CPU: a few at once keep a slow provider from holding
    # up the rest (each row is leased to this courier already, so order does not matter).
    if pool is not None:
        list(pool.map(send, out.taken))
        return out
    with ThreadPoolExecutor(max_workers=min(get_settings().notice_senders, len(out.taken)),
                            thread_name_prefix="notice-send") as own:
        list(own.map(send, out.taken))
    return out


def run_forever(factory: Callable[[], Session], stop, idle: float = 1.0) -> None:
    """Deliver until `stop` is set: at once while there is work, every `idle` seconds otherwise."""
    providers = configured()
    if not providers:  # still a pass now and then: what waits on a channel switched off is given up, not left
        log.info("no notification channel besides the inbox is configured; idle passes every %.0fs", idle * 30)
        idle *= 30
    delay = idle
    pool = ThreadPoolExecutor(max_workers=get_settings().notice_senders, thread_name_prefix="notice-send")
    while not stop.is_set():
        try:
            done = deliver_due(factory, providers=providers, pool=pool)
            delay = idle
            if done.taken:
                continue
        except Exception as exc:  # the database away: wait, then again; nothing is lost
            log.warning("courier: %s; retrying in %.0fs", exc, delay)
            delay = min(delay * 2, 30)
        stop.wait(delay)
    pool.shutdown(wait=False)
