"""WeChat log-in for the mini-program: `wx.login()` gives the app a one-time code; the server
exchanges it at WeChat's code-to-session endpoint (`/sns/jscode2session`) with the app's
credentials for the user's openid. An openid is bound to one account, once, by that account's
password (or by an admin); after that the code alone logs the person in.

WeChat answers errors as `errcode`s: 40029 (an invalid or used code), 45011 (too frequent),
40226 (a user WeChat flags as high-risk), -1 (busy). Each becomes a refusal the app can
show; the openid is the only thing kept (never the session key WeChat also returns).

An unbound WeChat user is handed a ticket: the openid and a random id, signed, valid ten
minutes. It binds one account once: the id of a spent ticket is kept (`wechat_tickets`), in
the same transaction as the binding, and a ticket whose id is kept is refused."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import cast

import httpx
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, select
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from flows.core import journal
from flows.core.db import in_transaction
from flows.core.refusals import Refused
from flows.people.actors import ActorContext
from flows.people.passwords import manageable_user
from schemas.settings import Settings
from schemas.tables import AppToken, User, WeChatBindCode, WeChatTicket

TIMEOUT_SECONDS = 5
TICKET_SECONDS = 600
# A bind code is read out and typed: no 0/O, 1/I/L look-alikes.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
_SALT = "yijia.wechat-bind"
_ERRCODES = {40029: "api.wechat_code", 40163: "api.wechat_code", 45011: "api.wechat_busy",
             40226: "api.wechat_blocked"}


def openid_for(settings: Settings, code: str) -> str:
    """The openid of the WeChat user whose `wx.login` code this is."""
    if not settings.wechat_api_url or not settings.wechat_app_id:
        raise Refused("api.wechat_off")
    try:
        answer = httpx.get(f"{settings.wechat_api_url}/sns/jscode2session", params={
            "appid": settings.wechat_app_id, "secret": settings.wechat_app_secret, "js_code": code,
            "grant_type": "authorization_code"}, timeout=TIMEOUT_SECONDS)
        body = answer.json() if answer.status_code == 200 else {}
    except (httpx.HTTPError, ValueError) as exc:
        raise Refused("api.wechat_unavailable") from exc
    openid = body.get("openid") if isinstance(body, dict) else None
    if isinstance(openid, str) and 0 < len(openid) <= 64 and not body.get("errcode"):
        return openid
    errcode = body.get("errcode") if isinstance(body, dict) else None
    raise Refused(_ERRCODES.get(errcode, "api.wechat_unavailable") if isinstance(errcode, int)
                  else "api.wechat_unavailable")


def user_of(session: Session, openid: str) -> User | None:
    """The active account bound to this openid, if any."""
    user = session.scalar(select(User).where(User.wechat_openid == openid))
    return user if user is not None and user.is_active else None


def ticket_for(secret: str, openid: str, ticket_id: str | None = None) -> str:
    """A ticket for binding this (unbound) WeChat user: signed, with a random id."""
    return URLSafeTimedSerializer(secret, salt=_SALT).dumps({"o": openid, "t": ticket_id or secrets.token_hex(16)})


def issue(session: Session, secret: str, openid: str, now: datetime) -> tuple[str, str]:
    """A ticket for this unbound WeChat user, and its short bind code (for an admin to type on
    账号管理 when the person cannot bind by password): both name the same ticket id, so
    either binds once. Codes older than a ticket's life are dropped here."""
    ticket_id = secrets.token_hex(16)
    session.execute(delete(WeChatBindCode).where(WeChatBindCode.created_at < now - timedelta(seconds=TICKET_SECONDS)))
    for _ in range(5):  # a clash among live codes is rare (31^8); another code is drawn
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        try:
            session.add(WeChatBindCode(code=code, openid=openid, ticket_id=ticket_id, created_at=now))
            session.commit()
            break
        except IntegrityError:
            session.rollback()
    else:
        raise Refused("api.wechat_unavailable")
    return ticket_for(secret, openid, ticket_id), code


def read_ticket(secret: str, ticket: str) -> tuple[str, str]:
    """The openid and id of a ticket signed here in the last ten minutes, else refused."""
    try:
        body = URLSafeTimedSerializer(secret, salt=_SALT).loads(ticket, max_age=TICKET_SECONDS)
    except BadSignature as exc:
        raise Refused("api.wechat_ticket") from exc
    if not isinstance(body, dict) or not isinstance(body.get("o"), str) or not isinstance(body.get("t"), str):
        raise Refused("api.wechat_ticket")
    return body["o"], body["t"]


def _spent(session: Session, ticket_id: str) -> bool:
    return session.get(WeChatTicket, ticket_id) is not None


def bind(session: Session, user_id: int, openid: str, ticket_id: str, now: datetime,
         actor_id: int | None = None) -> None:
    """Bind `openid` to the account, spending the ticket; refused when the ticket was spent
    already, or when the account or the openid is already bound elsewhere. Logged as the
    account's own step, or `actor_id`'s (an admin binding it for the person)."""
    if _spent(session, ticket_id):
        raise Refused("api.wechat_ticket_spent")
    user = session.get_one(User, user_id)
    if user.wechat_openid not in (None, openid):
        raise Refused("api.wechat_taken")
    # a ticket outlives its ten minutes nowhere: older spent ids can go
    session.execute(delete(WeChatTicket).where(WeChatTicket.spent_at < now - timedelta(seconds=2 * TICKET_SECONDS)))
    session.add(WeChatTicket(id=ticket_id, spent_at=now))
    user.wechat_openid = openid
    try:
        journal.record(session, subject="users", subject_id=user_id, step="wechat_bind", from_state=None,
                       to_state=None, actor_id=user_id if actor_id is None else actor_id, at=now)
        session.commit()
    except IntegrityError as exc:  # the ticket spent by a racing copy, or the openid bound to someone else
        session.rollback()
        raise Refused("api.wechat_ticket_spent" if _spent(session, ticket_id) else "api.wechat_taken") from exc


def unbind(session: Session, user_id: int, actor_id: int, now: datetime) -> bool:
    """Unbind the account's WeChat user: the code no longer logs in to it, no message goes to
    that WeChat, and the device sessions WeChat opened end (whoever holds that WeChat is out).
    The password's device sessions stay. False when no WeChat was bound."""
    user = session.get_one(User, user_id)
    if user.wechat_openid is None:
        session.rollback()
        return False

    def work() -> bool:
        user.wechat_openid = None
        ended = cast(CursorResult, session.execute(
            delete(AppToken).where(AppToken.user_id == user_id, AppToken.via == "wechat"))).rowcount
        journal.record(session, subject="users", subject_id=user_id, step="wechat_unbind", from_state=None,
                       to_state=None, actor_id=actor_id, data={"devices_ended": ended}, at=now)
        return True

    return in_transaction(session, work)


def bind_by_code(session: Session, actor: ActorContext, username: str, code: str, now: datetime) -> User:
    """A community admin binds the WeChat user whose bind code the person read out (from the
    mini-program) to that person's account — a resident or member they govern, as for a
    password reset. The code works once, within its ticket's ten minutes; logged as the
    admin's step on the person's account."""
    user = manageable_user(session, actor, username)
    typed = "".join((code or "").split()).upper()[:CODE_LENGTH + 1]
    row = session.get(WeChatBindCode, typed) if len(typed) == CODE_LENGTH else None
    if row is None or _aware(row.created_at) < now - timedelta(seconds=TICKET_SECONDS):
        session.rollback()
        raise Refused("wechat.code_invalid")
    openid, ticket_id = row.openid, row.ticket_id
    session.delete(row)
    try:
        bind(session, user.id, openid, ticket_id, now, actor_id=actor.user_id)
    except Refused as exc:
        session.rollback()
        if exc.code == "api.wechat_ticket_spent":
            raise Refused("wechat.code_invalid") from exc
        raise
    return user


def _aware(at: datetime) -> datetime:
    from datetime import UTC

    return at if at.tzinfo else at.replace(tzinfo=UTC)
