"""账号与安全: change one's own password, sign out one's other devices and unbind one's WeChat;
for community admins, reset a resident's or member's password and sign them out everywhere."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_required

from admin.auth import actor, safe_next
from admin.database import db
from admin.portal import bp
from admin.portal.common import lang
from admin.security.throttle import throttle
from flows.core.refusals import Refused
from flows.people import app_tokens, passwords, preferences, sessions, wechat_login
from schemas.clock import utcnow
from schemas.tables import User


def _me() -> int:
    """The logged-in user's id (these pages are behind log-in)."""
    user_id = actor().user_id
    if user_id is None:
        abort(404)
    return user_id


@bp.route("/account", methods=["GET", "POST"])
@login_required
def password():
    """Change my password; every other session of mine ends (a stolen cookie with it)."""
    errors: dict[str, str] = {}
    forced = bool(g.get("must_change_password"))
    if request.method == "POST":
        throttle().hit("account", f"user:{_me()}")
        new = request.form.get("new", "")
        if new != request.form.get("confirm", ""):
            errors = {"confirm": _("两次输入的新密码不一致")}
        else:
            try:
                passwords.change_password(db(), _me(), request.form.get("current", ""), new,
                                          keep_token=session.get("sid"))
            except Refused as exc:
                errors = exc.fields_in(lang()) or {"current": exc.message(lang())}
            else:
                flash(_("密码已修改，其他设备上的登录已全部退出"), "success")
                return redirect(safe_next(request.args.get("next")) if request.args.get("next")
                                else url_for("portal.me"))
    return _page(errors, forced)


def _page(errors: dict[str, str], forced: bool = False, phone: str | None = None):
    me = db().get_one(User, _me())
    return render_template("account.html", errors=errors, forced=forced,
                           others=max(0, sessions.count(db(), _me()) - 1),
                           apps=app_tokens.devices(db(), _me()), wechat=me.wechat_openid is not None,
                           phone=me.phone if phone is None else phone), (400 if errors else 200)


@bp.post("/account/phone")
@login_required
def own_phone():
    """My phone number: the member who takes up my wish, and my community's staff, call it."""
    typed = request.form.get("phone", "")[:40]
    try:
        kept = preferences.set_own_phone(db(), actor(), typed)
    except Refused as exc:
        return _page(exc.fields_in(lang()), phone=typed)
    flash(_("联系电话已保存") if kept else _("联系电话已删除"), "success")
    return redirect(url_for("portal.password"))


@bp.post("/account/apps/<id:device_id>/end")
@login_required
def end_app(device_id: int):
    """End one of my apps' log-ins (a lost phone): its tokens stop working at once."""
    if not app_tokens.revoke(db(), _me(), device_id):
        abort(404)
    flash(_("已退出该设备"), "success")
    return redirect(url_for("portal.password") + "#apps")


@bp.route("/account/wechat/unbind", methods=["GET", "POST"])
@login_required
def unbind_wechat():
    """Unbind my WeChat (someone else's phone, a WeChat I no longer use): WeChat logs in to my
    account no more, and the mini-program's log-ins by WeChat end. Asks first (GET): binding
    again needs the password typed in the mini-program."""
    if request.method == "GET":
        if db().get_one(User, _me()).wechat_openid is None:
            return redirect(url_for("portal.password") + "#wechat")
        return render_template("unbind_wechat.html")
    if wechat_login.unbind(db(), _me(), _me(), utcnow()):
        flash(_("已解除微信绑定"), "success")
    else:  # unbound meanwhile (another tab, the mini-program): say so rather than nothing
        flash(_("没有绑定微信，无需解除"), "info")
    return redirect(url_for("portal.password") + "#wechat")


@bp.post("/account/sign-out-others")
@login_required
def sign_out_others():
    """End my sessions on every other device (a lost phone), keeping this one."""
    ended = sessions.close_others(db(), _me(), keep=session.get("sid"))
    flash(_("已退出其他 %(n)s 处登录", n=ended), "success")
    return redirect(url_for("portal.password"))


@bp.route("/manage/accounts", methods=["GET", "POST"])
@login_required
def manage_accounts():
    """A community admin resets a resident's or member's password (a temporary one, shown once,
    to be changed at the next log-in), signs them out everywhere, turns 长辈版 on or off for
    them (someone who cannot find the switch), or binds their WeChat by the bind code the
    mini-program shows them (someone who does not know their password)."""
    me = actor()
    if not me.admin_paths():
        abort(404)
    temporary = None
    if request.method == "POST":
        throttle().hit("account", f"admin:{me.user_id}")
        username = request.form.get("username", "")
        try:
            action = request.form.get("action")
            if action in ("elder_on", "elder_off"):
                user = preferences.set_elder_mode_for(db(), me, username, action == "elder_on")
                flash(_("已为 %(name)s 开启长辈版", name=user.username) if user.elder_mode
                      else _("已为 %(name)s 关闭长辈版", name=user.username), "success")
            elif action == "wechat_bind":
                user = wechat_login.bind_by_code(db(), me, username, request.form.get("code", "")[:32], utcnow())
                flash(_("已为 %(name)s 绑定微信", name=user.username), "success")
            elif action == "reset":
                user, temporary = passwords.reset_password(db(), me, username)
                flash(_("已为 %(name)s 重置密码，其所有登录已退出", name=user.username), "success")
            else:
                ended = passwords.sign_out_everywhere(db(), me, username)
                flash(_("已退出 %(name)s 的全部 %(n)s 处登录", name=username.strip(), n=ended), "success")
        except Refused as exc:
            flash(exc.message(lang()), "error")
            return render_template("manage_accounts.html", temporary=None), 400
    return render_template("manage_accounts.html", temporary=temporary)
