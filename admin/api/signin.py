"""Log-in for apps: a password or a WeChat `wx.login` code buys a device session (a pair of
tokens, flows/people/app_tokens.py); a refresh token buys the next pair; the devices page
lists and ends them. Failed log-ins are throttled as on the web, per client and per account."""

from flask import Response as HttpResponse
from flask import current_app, g
from spectree import Response

from admin.api import ID, bp, spec
from admin.api.bearer import caller, signed_in
from admin.api.models import Device, Devices, PasswordLogin, RefreshRequest, Tokens, WeChatBind, WeChatLogin
from admin.api.paging import json_response
from admin.api.problems import ApiProblem, Problem
from admin.database import db
from admin.security.throttle import Throttled, client_address, throttle
from flows.core.refusals import Refused
from flows.people import accounts, app_tokens, wechat_login
from schemas.clock import utcnow
from schemas.settings import get_settings
from schemas.tables import User

TAG = "log-in"
_LOGIN_ERRORS = Response(HTTP_200=Tokens, HTTP_401=Problem, HTTP_422=Problem, HTTP_429=Problem)


def _tokens(pair: app_tokens.Pair) -> HttpResponse:
    """The pair as the answer, never stored by a cache on the way (RFC 6749 §5.1): a proxy or
    the phone's HTTP cache keeping it would keep a live refresh token."""
    response = json_response(Tokens(access_token=pair.access_token, expires_at=pair.access_expires_at,
                                    refresh_token=pair.refresh_token, refresh_expires_at=pair.refresh_expires_at,
                                    device_id=pair.device_id))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _throttled(exc: Throttled) -> ApiProblem:
    return ApiProblem(429, "api.throttled", {"seconds": exc.retry_after},
                      headers={"Retry-After": str(exc.retry_after)})


def _password(username: str, password: str) -> User:
    client = client_address()
    try:
        throttle().check_login(client, username)
    except Throttled as exc:
        raise _throttled(exc) from exc
    user = accounts.authenticate(db(), username, password)
    if user is None:
        throttle().login_failed(client, username)
        raise ApiProblem(401, "api.credentials")
    if user.must_change_password:
        raise ApiProblem(403, "api.password_change")
    return user


@bp.post("/auth/token")
@spec.validate(json=PasswordLogin, resp=Response(HTTP_200=Tokens, HTTP_401=Problem, HTTP_403=Problem,
                                                 HTTP_422=Problem, HTTP_429=Problem), tags=[TAG])
def token(json: PasswordLogin):
    """Log in with a user name and password: a new device session."""
    user = _password(json.username, json.password)
    return _tokens(app_tokens.issue(db(), user.id, json.device, "password", utcnow()))


@bp.post("/auth/refresh")
@spec.validate(json=RefreshRequest, resp=Response(HTTP_200=Tokens, HTTP_401=Problem, HTTP_422=Problem), tags=[TAG])
def refresh(json: RefreshRequest):
    """A new token pair for a refresh token, which is spent; a spent one used again ends the
    device session (someone else holds a copy)."""
    return _tokens(app_tokens.refresh(db(), json.refresh_token, utcnow()))


@bp.post("/auth/logout")
@spec.validate(resp=Response(HTTP_204=None, HTTP_401=Problem), tags=[TAG], security={"bearer": []})
@signed_in
def logout():
    """End this device session: its tokens stop working at once."""
    app_tokens.revoke(db(), caller().user_id, g.device_id)
    return "", 204


@bp.post("/auth/wechat")
@spec.validate(json=WeChatLogin, resp=Response(HTTP_200=Tokens, HTTP_401=Problem, HTTP_403=Problem, HTTP_404=Problem,
                                               HTTP_422=Problem, HTTP_429=Problem, HTTP_503=Problem), tags=[TAG])
def wechat(json: WeChatLogin):
    """Log in with the mini-program's `wx.login` code. Unbound, the answer is the problem
    `api.wechat_unbound` with a `ticket` for `/auth/wechat/bind` (valid ten minutes, once) and
    its short `code`, which the person may instead read out to their community admin."""
    client = client_address()
    try:
        throttle().check_wechat(client)  # bad codes only: never the sign-up budget, never a log-in that works
    except Throttled as exc:
        raise _throttled(exc) from exc
    try:
        openid = wechat_login.openid_for(get_settings(), json.code)
    except Refused as exc:
        if exc.code == "api.wechat_code":
            throttle().wechat_failed(client)
        raise
    user = wechat_login.user_of(db(), openid)
    if user is None:
        ticket, code = wechat_login.issue(db(), current_app.config["SECRET_KEY"], openid, utcnow())
        raise ApiProblem(401, "api.wechat_unbound", errors={"ticket": ticket, "code": code})
    return _tokens(app_tokens.issue(db(), user.id, json.device, "wechat", utcnow()))


@bp.post("/auth/wechat/bind")
@spec.validate(json=WeChatBind, resp=Response(HTTP_200=Tokens, HTTP_401=Problem, HTTP_403=Problem,
                                              HTTP_409=Problem, HTTP_422=Problem, HTTP_429=Problem), tags=[TAG])
def wechat_bind(json: WeChatBind):
    """Bind the WeChat user of a ticket to an account by that account's password. A ticket
    binds once: used again (even for the same account) it is the problem `api.wechat_ticket_spent`."""
    openid, ticket_id = wechat_login.read_ticket(current_app.config["SECRET_KEY"], json.ticket)
    user = _password(json.username, json.password)
    wechat_login.bind(db(), user.id, openid, ticket_id, utcnow())
    return _tokens(app_tokens.issue(db(), user.id, json.device, "wechat", utcnow()))


@bp.get("/me/devices")
@spec.validate(resp=Response(HTTP_200=Devices, HTTP_304=None, HTTP_401=Problem), tags=[TAG], security={"bearer": []})
@signed_in
def devices():
    """My device sessions (this one marked `current`)."""
    rows = app_tokens.devices(db(), caller().user_id)
    return json_response(Devices(items=[Device(id=r.id, device=r.device, via=r.via, created_at=r.created_at,
                                               seen_at=r.seen_at, current=r.id == g.device_id) for r in rows]))


@bp.delete(f"/me/devices/<{ID}:device_id>")
@spec.validate(resp=Response(HTTP_204=None, HTTP_401=Problem, HTTP_404=Problem), tags=[TAG], security={"bearer": []})
@signed_in
def end_device(device_id: int):
    """End one of my device sessions (a lost phone)."""
    if not app_tokens.revoke(db(), caller().user_id, device_id):
        raise ApiProblem(404, "api.device_not_found")
    return "", 204


