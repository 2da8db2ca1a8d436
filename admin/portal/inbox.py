"""My messages (我的 → 消息): the inbox, opening a message (which marks it read and goes to what
it is about), and 通知设置 (which channels each category of message also comes on). Only the
recipient sees a message; anyone else gets the 404 a missing one gets."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from admin.auth import actor
from admin.database import db
from admin.i18n import field_errors, flash_refusal
from admin.params import arg_int, form_int
from admin.portal import bp
from admin.portal.common import lang, new_request_key, posted_request_key
from flows.core.refusals import Refused
from flows.notices import categories, choices, quiet, verification
from flows.notices import inbox as notices
from flows.notices import templates as notice_templates
from flows.people.privacy import mask_phone
from schemas.tables import User

# Where a message about something other than a demand opens, by its template's category: a
# report-in decided → 报到 (the reason, and reporting in again); an order → 我的订单.
_PLACES = {"account": "portal.checkin", "order": "portal.orders"}
# …except joining an organisation: its admins decide on 组织档案, the member reads the answer on 所属党组织.
_KINDS = {"org_join_requested": "portal.org", "org_join_approved": "portal.member_org", "org_placed": "portal.member_org",
          "org_join_rejected": "portal.member_org", "org_removed": "portal.member_org"}

PER_PAGE = 30


@bp.get("/me/messages")
@login_required
def messages():
    """My messages, newest first, the unread ones marked; older ones a page at a time.

    Showing the list marks nothing read: the badge counts the messages not yet opened (or
    cleared with 全部已读), so a glance at the list does not lose the ones not looked at."""
    before = arg_int("before", required=False)
    rows = notices.inbox(db(), actor().user_id, limit=PER_PAGE + 1, before=before)
    shown = [(m, *notices.words(m, lang())) for m in rows[:PER_PAGE]]
    return render_template("messages.html", messages=shown, before=before,
                           older=rows[PER_PAGE - 1].id if len(rows) > PER_PAGE else None,
                           unread=notices.unread_count(db(), actor().user_id), request_key=new_request_key())


@bp.post("/me/messages/read")
@login_required
def read_all():
    """全部已读: the messages up to the newest the page showed; sent twice, it marks nothing more."""
    posted_request_key()  # the form's one-time key; `up_to` is what makes a repeat harmless
    marked = notices.read_all(db(), actor().user_id, form_int("up_to"))
    flash(_("已全部标为已读") if marked else _("没有未读消息"), "success" if marked else "info")
    return redirect(url_for("portal.messages"))


@bp.post("/me/messages/<id:notice_id>")
@login_required
def open_message(notice_id: int):
    """Mark the message read and go to its demand (or back to the inbox when it has none).

    A POST, not a GET: opening changes the message, and a link prefetched or crawled must not."""
    try:
        notice = notices.open_notice(db(), actor().user_id, notice_id)
    except Refused:
        abort(404)
    if notice.demand_id is not None:
        return redirect(url_for("portal.demand", demand_id=notice.demand_id) + "?from=messages")
    if notice.kind in _KINDS:
        return redirect(url_for(_KINDS[notice.kind]))
    template = notice_templates.shipped().get(notice.kind)
    return redirect(url_for(_PLACES.get(template.category if template else "", "portal.messages")))


@bp.route("/me/messages/settings", methods=["GET", "POST"])
@login_required
def notice_settings():
    """通知设置: for each category of message, the channels besides the inbox it also comes on,
    and my e-mail address. Mandatory channels are shown ticked and cannot be unticked; a channel
    I have no address for says so. Saving twice saves the same thing: no one-time key is needed."""
    me_ = actor()
    errors: dict[str, str] = {}
    user = db().get(User, me_.user_id)
    email = (user.email_pending or user.email) if user else None
    if request.method == "POST":
        picks = {cat: request.form.getlist(f"c_{cat}") for cat in categories.CATEGORIES}
        email = request.form.get("email", "").strip()[:254]
        try:
            token = choices.choose(db(), me_.user_id, {c: p for c, p in picks.items() if p}, email)
            if token is not None and user is not None:
                verification.send(user, email, token)
        except Refused as exc:
            errors = field_errors(exc)
            flash_refusal(exc)
        else:
            flash(_("通知设置已保存"), "success")
            if token is not None:
                flash(_("验证邮件已发送到 %(email)s：请打开邮件里的链接，验证后才会给这个邮箱发消息", email=email), "info")
            return redirect(url_for("portal.messages"))
    configured = categories.configured()
    return render_template("notice_settings.html", categories=categories.CATEGORIES, channels=categories.CHANNELS,
                           configured=configured, chosen=choices.chosen(db(), me_.user_id), errors=errors,
                           mandatory={cat: categories.mandatory(cat) for cat in categories.CATEGORIES},
                           email=email or "", phone=mask_phone(user.phone) if user and user.phone else "",
                           wechat=bool(user and user.wechat_openid), quiet=quiet.hours(),
                           pending=user.email_pending if user else None)


@bp.route("/me/email/verify/<token>", methods=["GET", "POST"])
@login_required
def verify_email(token: str):
    """The link in the verification mail: a page with one button (a GET changes nothing, so a
    mail scanner following the link verifies nobody), the POST proves the address."""
    if request.method == "POST":
        try:
            address = verification.confirm(db(), actor().user_id, token[:100])
        except Refused as exc:
            flash_refusal(exc)
            return redirect(url_for("portal.notice_settings"))
        flash(_("电子邮箱 %(email)s 已验证", email=address), "success")
        return redirect(url_for("portal.notice_settings"))
    return render_template("verify_email.html")
