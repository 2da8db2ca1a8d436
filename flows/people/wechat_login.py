"""WeChat log-in for the mini-program: `wx.login()` gives the app a one-time code; the server
exchanges it at WeChat's code-to-session endpoint (`/sns/jscode2session`) with the app's
credentials for the user's openid. An openid is bound to one account, once, by that account's
password (or by an admin); after that the code alone logs the person in.

WeChat answers errors as `errcode`s: 40029 (an invalid or used code), 45011 (too frequent),
40226 (a user WeChat flags as high-risk), -1 (busy). Each becomes a refusal the app can
show; the openid is the only thing kept (never the session key WeChat also returns)."""
from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from flows.core.refusals import Refused
from schemas.settings import Settings
from schemas.tables import User

TIMEOUT_SECONDS = 5
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


def bind(session: Session, user_id: int, openid: str) -> None:
    """Bind `openid` to the account; refused when either is already bound elsewhere."""
    user = session.get_one(User, user_id)
    if user.wechat_openid == openid:
        return
    if user.wechat_openid is not None:
        raise Refused("api.wechat_taken")
    user.wechat_openid = openid
    try:
        session.commit()
    except IntegrityError as exc:  # the openid is bound to someone else (a unique column)
        session.rollback()
        raise Refused("api.wechat_taken") from exc
