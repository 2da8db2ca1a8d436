"""My settings over the API: 通知设置 (channels per category, e-mail and its verification), the
account (password, elder mode, signing out elsewhere), and WeChat binding. The same domain calls
as the portal's pages (flows.notices.choices and verification, flows.people)."""

from flask import g
from spectree import Response

from admin.api import bp, spec
from admin.api.bearer import caller, signed_in
from admin.api.paging import json_response
from admin.api.problems import Problem, locale
from admin.api.replays import idempotent
from admin.api.settings_models import (
    ElderMode,
    EmailToken,
    NoticeCategory,
    NoticeChannel,
    NoticeSettings,
    NoticeSettingsIn,
    PasswordChange,
    QuietHours,
    SessionsEnded,
    Verification,
)
from admin.database import db
from admin.security.throttle import throttle
from flows.core.i18n import translate
from flows.notices import categories, choices, quiet, verification
from flows.people import passwords, preferences, sessions, wechat_login
from flows.people.privacy import mask_phone
from schemas.clock import utcnow
from schemas.tables import User

TAG = "settings and account"
BEARER: dict[str, list[str]] = {"bearer": []}


def _notice_settings(user_id: int, sent: bool = False) -> NoticeSettings:
    user = db().get_one(User, user_id)
    lang, chosen, hours = locale(), choices.chosen(db(), user_id), quiet.hours()
    return NoticeSettings(
        channels=[NoticeChannel(code=ch, name=translate(categories.CHANNELS[ch], lang)) for ch in categories.configured()],
        categories=[NoticeCategory(code=cat, name=translate(name, lang), channels=chosen[cat],
                                   mandatory=categories.mandatory(cat)) for cat, name in categories.CATEGORIES.items()],
        quiet_hours=QuietHours(start=hours[0], end=hours[1], channels=sorted(quiet.QUIET_CHANNELS)) if hours else None,
        email=user.email, email_pending=user.email_pending, phone=mask_phone(user.phone) if user.phone else None,
        wechat_bound=user.wechat_openid is not None, verification_sent=sent)


@bp.get("/me/settings/notices")
@spec.validate(resp=Response(HTTP_200=NoticeSettings, HTTP_304=None, HTTP_401=Problem), tags=[TAG], security=BEARER)
@signed_in
def notice_settings():
    """通知设置: the channels each category of message comes on besides the inbox (mandatory
    ones included), the quiet hours, and my e-mail address (verified, or waiting for proof)."""
    return json_response(_notice_settings(caller().user_id))


@bp.put("/me/settings/notices")
@spec.validate(json=NoticeSettingsIn, resp=Response(HTTP_200=NoticeSettings, HTTP_401=Problem, HTTP_422=Problem,
                                                    HTTP_503=Problem), tags=[TAG], security=BEARER)
@signed_in
@idempotent
def change_notice_settings(json: NoticeSettingsIn):
    """Choose the channels per category, and the e-mail address. A category sent without one
    of its mandatory channels is refused (`notice.mandatory`, a sentence at
    `errors["channels.<category>"]`); a new address is used once its owner opens the link mailed
    to it (`verification_sent`)."""
    user_id = caller().user_id
    choices.refuse_dropping_mandatory(json.channels)
    user = db().get_one(User, user_id)
    email = json.email if "email" in json.model_fields_set else (user.email_pending or user.email)
    token = choices.choose(db(), user_id, {cat: chs for cat, chs in json.channels.items() if chs}, email)
    if token is not None and email:
        verification.send(db().get_one(User, user_id), email.strip(), token)
    return json_response(_notice_settings(user_id, sent=token is not None))


@bp.post("/me/settings/email/verification")
@spec.validate(resp=Response(HTTP_202=Verification, HTTP_401=Problem, HTTP_409=Problem, HTTP_503=Problem),
               tags=[TAG], security=BEARER)
@signed_in
@idempotent
def resend_verification():
    """Mail the verification link again to the address waiting for proof (at most once a
    minute: `sent` false when a link went out less than a minute ago)."""
    user_id = caller().user_id
    address, token = verification.restart(db(), user_id)
    if token is not None:
        verification.send(db().get_one(User, user_id), address, token)
    return json_response(Verification(email=address, sent=token is not None), 202)


@bp.post("/me/settings/email/confirm")
@spec.validate(json=EmailToken, resp=Response(HTTP_200=NoticeSettings, HTTP_401=Problem, HTTP_409=Problem,
                                              HTTP_422=Problem), tags=[TAG], security=BEARER)
@signed_in
@idempotent
def confirm_email(json: EmailToken):
    """Prove the pending address with the token of the mailed link (as opening the link does)."""
    verification.confirm(db(), caller().user_id, json.token)
    return json_response(_notice_settings(caller().user_id))


@bp.delete("/me/wechat")
@spec.validate(resp=Response(HTTP_204=None, HTTP_401=Problem), tags=[TAG], security=BEARER)
@signed_in
@idempotent
def unbind_wechat():
    """Unbind my WeChat: its code no longer logs in to my account, no message goes to it, and the
    device sessions WeChat opened end (this one too, when it is one of them). Nothing bound: 204
    all the same."""
    wechat_login.unbind(db(), caller().user_id, caller().user_id, utcnow())
    return "", 204


@bp.post("/me/password")
@spec.validate(json=PasswordChange, resp=Response(HTTP_200=SessionsEnded, HTTP_401=Problem, HTTP_422=Problem,
                                                  HTTP_429=Problem), tags=[TAG], security=BEARER)
@signed_in
@idempotent
def change_password(json: PasswordChange):
    """Change my password: the current one must be right; every other log-in of mine ends (the
    website's and the other apps'), this device session stays. Five tries a minute."""
    me = caller().user_id
    throttle().hit("account", f"user:{me}")
    ended = passwords.change_password(db(), me, json.current, json.new, keep_token=None, now=utcnow(),
                                      keep_device=g.device_id)
    return json_response(SessionsEnded(ended=ended))


@bp.post("/me/sign-out-others")
@spec.validate(resp=Response(HTTP_200=SessionsEnded, HTTP_401=Problem), tags=[TAG], security=BEARER)
@signed_in
@idempotent
def sign_out_others():
    """Sign out everywhere else (a lost phone): every other log-in of mine ends, on the website
    and in apps; this device session stays."""
    return json_response(SessionsEnded(ended=sessions.close_others(db(), caller().user_id, keep_device=g.device_id)))


@bp.get("/me/elder-mode")
@spec.validate(resp=Response(HTTP_200=ElderMode, HTTP_304=None, HTTP_401=Problem), tags=[TAG], security=BEARER)
@signed_in
def elder_mode():
    """Whether 长辈版 is on for me (on every device I log in on)."""
    return json_response(ElderMode(on=preferences.elder_mode(db(), caller().user_id)))


@bp.put("/me/elder-mode")
@spec.validate(json=ElderMode, resp=Response(HTTP_200=ElderMode, HTTP_401=Problem, HTTP_422=Problem), tags=[TAG],
               security=BEARER)
@signed_in
@idempotent
def set_elder_mode(json: ElderMode):
    """Turn 长辈版 on or off for myself, as its one-tap switch on the website does."""
    preferences.set_own_elder_mode(db(), caller().user_id, json.on, utcnow())
    return json_response(ElderMode(on=preferences.elder_mode(db(), caller().user_id)))
