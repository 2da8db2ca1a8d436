"""An e-mail address is used only once its owner proved it is theirs: typing someone else's
address (or a typo) must not send them pickup codes and reminders, nor let anyone use the
platform to mail strangers. A new address waits as `email_pending` with the SHA-256 of a
random token; the link in the mail carries the token; opening it (logged in as the same person,
within a day) makes the address the one messages go to."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from flows.core import journal
from flows.core.db import in_transaction
from flows.core.i18n import translate
from flows.core.refusals import Refused
from flows.notices.providers import Outgoing, Smtp, TryLater, Undeliverable
from schemas.clock import utcnow
from schemas.settings import get_settings
from schemas.tables import User

VALID_FOR = timedelta(days=1)
RESEND_AFTER = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(user: User, address: str, now: datetime) -> str | None:
    """Make `address` the person's pending one (in the caller's transaction); the raw token for
    the link (only its hash is kept) — or None when a link to the same address went out less
    than a minute ago (saving twice must not mail twice, nor the form become a mail cannon)."""
    if user.email_pending == address and user.email_token_at and now - _aware(user.email_token_at) < RESEND_AFTER:
        return None
    token = secrets.token_urlsafe(32)
    user.email_pending, user.email_token_hash, user.email_token_at = address, _hash(token), now
    return token


def restart(session: Session, user_id: int, now: datetime | None = None) -> tuple[str, str | None]:
    """Another link for the pending address (the mail went astray): the address and the raw
    token to mail, or None for the token when a link went out less than a minute ago. Refused
    when no address waits for proof."""
    now = now or utcnow()
    user = session.get(User, user_id)
    if user is None or not user.email_pending:
        session.rollback()
        raise Refused("notice.nothing_to_verify")
    address = user.email_pending
    return address, in_transaction(session, lambda: start(user, address, now))


def send(user: User, address: str, token: str) -> None:
    """Mail the link to the pending address, now (the person waits for it on the page)."""
    settings = get_settings()
    link = f"{settings.base_url}/me/email/verify/{token}"
    lang = user.locale
    title = translate("请验证您的电子邮箱", lang)
    body = translate("请在 24 小时内打开下面的链接，确认这是您在伊家使用的电子邮箱。如果不是您本人操作，请忽略这封邮件。", lang)
    try:
        Smtp(settings).send(Outgoing(key=f"{settings.instance}-verify-{user.id}-{_hash(token)[:12]}",
                                     address=address, title=title, body=body, link=link))
    except (TryLater, Undeliverable) as exc:
        raise Refused("notice.verify_failed") from exc


def confirm(session: Session, user_id: int, token: str, now: datetime | None = None) -> str:
    """The link opened by its owner: the pending address becomes theirs. Anyone else's token, an
    old one or a used one answers the same refusal."""
    now = now or utcnow()
    user = session.get(User, user_id)
    if (user is None or not user.email_pending or not user.email_token_hash or user.email_token_at is None
            or not secrets.compare_digest(user.email_token_hash, _hash(token))
            or now - _aware(user.email_token_at) > VALID_FOR):
        session.rollback()
        raise Refused("notice.verify_invalid")
    address = user.email_pending

    def work() -> str:
        user.email, user.email_pending, user.email_token_hash, user.email_token_at = address, None, None, None
        journal.record(session, subject="users", subject_id=user_id, step="email_verified", from_state=None,
                       to_state=None, actor_id=user_id, at=now)
        return address

    return in_transaction(session, work)


def _aware(at: datetime) -> datetime:
    from datetime import UTC

    return at if at.tzinfo else at.replace(tzinfo=UTC)
