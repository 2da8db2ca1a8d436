"""Writing messages: in the caller's transaction (the step, the escalation, the order that
causes them), one row per (event, recipient, channel). The inbox row is delivered by being
written; every other channel's row waits `queued` for the courier, not before the end of the
quiet hours for a channel that would wake someone. A replayed step finds its rows there and
writes nothing (the unique key), so a person hears about an event once per channel."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from flows.core.i18n import SOURCE, TRANSLATED
from flows.core.sql import upsert
from flows.notices import choices, overrides, quiet, templates
from flows.notices.categories import INBOX
from schemas.clock import utcnow
from schemas.tables import Demand, NoticeStatus, Notification

# (title, text) in a language: lets a channel row be written in its reader's language.
Render = Callable[[str], tuple[str, str]]
# The one sentence for SMS and WeChat, in a language.
Short = Callable[[str], str]
SHORT_CHANNELS = frozenset({"sms", "wechat"})


def post(session: Session, *, event_id: int, demand: Demand | None, users: Iterable[int], kind: str, title: str,
         body: str = "", now: datetime | None = None, category: str = "service", render: Render | None = None,
         short: Short | None = None, community_id: int | None = None) -> None:
    """Write the message for each recipient: in the inbox (in Chinese, as written, with its
    words in the other languages for a reader who reads one of them), and on each
    channel they chose for `category` (in their own language when `render` is given; SMS and
    WeChat carry `short`'s one sentence when given). The message is about the demand's
    community, else `community_id`: its admins see the deliveries."""
    now = now or utcnow()
    people = list(dict.fromkeys(users))
    demand_id = demand.id if demand else None
    community_id = demand.community_id if demand else community_id
    texts = _texts(render) if people else None
    for user_id in people:
        upsert(session, Notification, {
            "event_id": event_id, "user_id": user_id, "channel": INBOX, "demand_id": demand_id, "community_id": community_id,
            "kind": kind, "title": title[:200], "body": body, "texts": texts, "status": NoticeStatus.SENT.value,
            "attempts": 0, "created_at": now, "sent_at": now}, on=("event_id", "user_id", "channel"))
    for user, channels in choices.recipients(session, people, category):
        full = render(user.locale) if render else (title, body)
        for channel in channels:
            own_title, own_body = (short(user.locale), "") if short and channel in SHORT_CHANNELS else full
            upsert(session, Notification, {
                "event_id": event_id, "user_id": user.id, "channel": channel, "demand_id": demand_id,
                "community_id": community_id,
                "kind": kind, "title": own_title[:200], "body": own_body, "status": NoticeStatus.QUEUED.value,
                "attempts": 0, "created_at": now, "due_at": quiet.not_before(channel, now)},
                on=("event_id", "user_id", "channel"))


def _texts(render: Render | None) -> dict[str, list[str]] | None:
    """The inbox row's words in each translated language, rendered once for all its readers."""
    if render is None:
        return None
    texts = {}
    for lang in TRANSLATED:
        title, body = render(lang)
        texts[lang] = [title[:200], body]
    return texts


def tell(session: Session, *, event_id: int, users: Iterable[int], template: str, values: dict[str, Any],
         district_id: int | None, demand: Demand | None = None, now: datetime | None = None,
         community_id: int | None = None) -> None:
    """Post a shipped template (as the district words it) filled with `values`: how the
    programme's own events — a registration decided, an order, points credited — tell people.
    A template missing from the shipped file tells nobody rather than failing the action (the
    shipped file is checked by the tests; a district can only reword what is there)."""
    found = overrides.effective(session, district_id, template)
    if found is None:
        return
    filled = templates.Filled(found, values)
    title, body = filled.render(SOURCE)
    post(session, event_id=event_id, demand=demand, users=users, kind=template, title=title, body=body, now=now,
         category=found.category, render=filled.render, short=filled.short, community_id=community_id)
