"""Which channels reach a person for each category of message: their own choice (通知设置),
else the programme's default (the inbox alone: nobody is texted until they ask), plus the
channels the programme makes mandatory for the category. Only configured channels count,
and only where the person has an address for them."""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from flows.core import journal
from flows.core.db import in_transaction
from flows.core.i18n import N_, Message
from flows.core.refusals import Refused
from flows.notices import verification
from flows.notices.categories import CATEGORIES, configured, mandatory
from schemas.clock import utcnow
from schemas.tables import NoticeChoice, User

# A plain address check (the mail server is the real judge): something@domain.tld, no spaces.
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")


def address(user: User, channel: str) -> str | None:
    """Where `channel` reaches the person, or None when they have no such address."""
    return {"email": user.email, "sms": user.phone, "wechat": user.wechat_openid}.get(channel) or None


def chosen(session: Session, user_id: int) -> dict[str, list[str]]:
    """The person's channels per category, as 通知设置 shows them (mandatory ones included)."""
    rows = {c.category: c.channels for c in session.scalars(select(NoticeChoice).where(NoticeChoice.user_id == user_id))}
    on = configured()
    return {cat: [ch for ch in on if ch in rows.get(cat, []) or ch in mandatory(cat)] for cat in CATEGORIES}


def refuse_dropping_mandatory(picks: dict[str, list[str]]) -> None:
    """For a caller that sends every channel it wants (the API), not a form whose mandatory
    boxes are disabled and so never sent: a category listed without one of its mandatory
    channels is refused, with a sentence beside `channels.<category>`, rather than kept quietly."""
    from flows.notices.categories import CHANNELS

    dropped = {cat: [ch for ch in mandatory(cat) if ch not in chs] for cat, chs in picks.items() if cat in CATEGORIES}
    fields = {f"channels.{cat}": Message("notice.mandatory", {"category": CATEGORIES[cat], "channel": CHANNELS[chs[0]]})
              for cat, chs in dropped.items() if chs}
    if fields:
        raise Refused("notice.mandatory", fields=fields)


def recipients(session: Session, user_ids: Iterable[int], category: str) -> list[tuple[User, list[str]]]:
    """For a message of `category`, each person with the channels (besides the inbox) it goes
    out on: their choice plus the mandatory ones, where they have an address. Two queries
    whatever the number of people; none when no channel is configured."""
    on = configured()
    ids = list(dict.fromkeys(user_ids))
    if not on or not ids:
        return []
    forced = mandatory(category)
    picked: dict[int, list[str]] = {}
    for chunk in _chunks(ids):
        picked.update(session.execute(select(NoticeChoice.user_id, NoticeChoice.channels).where(
            NoticeChoice.user_id.in_(chunk), NoticeChoice.category == category)).all())
    wanted = {u: [ch for ch in on if ch in forced or ch in picked.get(u, [])] for u in ids}
    ids = [u for u in ids if wanted[u]]
    found: list[tuple[User, list[str]]] = []
    for chunk in _chunks(ids):
        for user in session.scalars(select(User).where(User.id.in_(chunk), User.is_active.is_(True))):
            channels = [ch for ch in wanted[user.id] if address(user, ch)]
            if channels:
                found.append((user, channels))
    return sorted(found, key=lambda pair: pair[0].id)


def choose(session: Session, user_id: int, picks: dict[str, list[str]], email: str | None,
           now: datetime | None = None) -> str | None:
    """Save the person's choices and e-mail address (one event in the log); unknown categories or
    channels are refused, mandatory ones are kept whatever was sent, a channel the person has no
    address for is refused with a sentence beside it. A new e-mail address is not used until it
    is verified: it waits as pending, and the raw token for its link is returned (the caller
    mails it: flows.notices.verification.send). Removing the address needs no proof."""
    now = now or utcnow()
    user = session.get(User, user_id)
    if user is None:
        raise Refused("account.not_found")
    email = (email or "").strip() or None
    if email is not None and (len(email) > 254 or not EMAIL.fullmatch(email)):
        raise Refused("input", fields={"email": N_("请填写正确的电子邮箱，如 name@example.com")})
    on = configured()
    if set(picks) - set(CATEGORIES) or any(set(chs) - set(on) for chs in picks.values()):
        raise Refused("input", fields={"channels": N_("没有这个通知方式")})
    if "email" not in on:
        email = user.email  # no mail server: the address cannot be proved, so it is left as it was
    verified = email if email == user.email else None
    pending = email if email is not None and email != user.email else None
    missing = {ch for chs in picks.values() for ch in chs
               if not (address(user, ch) if ch != "email" else (verified or pending))}
    if missing:
        field = N_("请先填写电子邮箱") if "email" in missing else N_("您还没有这个通知方式的联系方式")
        raise Refused("input", fields={"email" if "email" in missing else "channels": field})
    saved = {cat: sorted(set(picks.get(cat, [])) | set(mandatory(cat)), key=on.index) for cat in CATEGORIES}

    def work() -> str | None:
        token = None
        if email is None:
            user.email = user.email_pending = user.email_token_hash = None
            user.email_token_at = None
        elif pending is not None:
            token = verification.start(user, pending, now)
        session.execute(delete(NoticeChoice).where(NoticeChoice.user_id == user_id))
        session.add_all(NoticeChoice(user_id=user_id, category=cat, channels=chs) for cat, chs in saved.items())
        journal.record(session, subject="users", subject_id=user_id, step="notice_choices", from_state=None,
                       to_state=None, actor_id=user_id, data={"channels": saved, "email": bool(email),
                                                              "verify": pending is not None}, at=now)
        return token

    return in_transaction(session, work)


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]
