"""Sign-up, log-in and log-out. Flask-Login keeps the user id in the signed cookie; the cookie
also carries a session token that must name a live row of `login_sessions` on every request
(flows/people/sessions.py), so log-out and a password change end every copy of the cookie."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from sqlalchemy import select

from admin.database import db
from admin.i18n import field_errors
from admin.params import form_int, to_id
from admin.security import redirects
from admin.security.throttle import client_address, throttle
from flows.core.i18n import N_
from flows.core.refusals import Refused
from flows.people import accounts, orgs, sessions
from flows.people.actors import Person, load_actor
from schemas.clock import utcnow
from schemas.tables import Region, RegionLevel, User

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = N_("请先登录")
login_manager.localize_callback = _  # flashed in the reader's language, from the one catalogue


class LoginUser:
    """What Flask-Login keeps: the user id; names are read only when a page shows them."""

    is_authenticated, is_active, is_anonymous = True, True, False

    def __init__(self, user_id: int, user: User | None = None):
        self.id = user_id
        self._user = user

    def get_id(self) -> str:
        return str(self.id)

    def _row(self) -> User:
        if self._user is None:
            self._user = db().get_one(User, self.id)  # loaded by user_loader: the user exists
        return self._user

    @property
    def display_name(self) -> str:
        return self._row().display_name

    @property
    def username(self) -> str:
        return self._row().username


@login_manager.user_loader
def _load(user_id: str):
    """The user's acting context, while the cookie's session is live: an ended, idle or expired
    session, or an inactive or unknown user, is a visitor again."""
    wanted = to_id(user_id)
    found = sessions.check_as(db(), session.get("sid"), wanted, utcnow(), timeouts()) if wanted else None
    if found is None:
        _fresh_session()
        return None
    live, context = found
    g.actor = context
    g.must_change_password = live.must_change_password
    return LoginUser(context.user_id)


def timeouts() -> sessions.Timeouts:
    return sessions.Timeouts(idle=current_app.config["YIJIA_SESSION_IDLE"],
                             absolute=current_app.config["PERMANENT_SESSION_LIFETIME"])


def _fresh_session() -> None:
    """Empty the cookie's session, keeping only the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def start_session(user: User) -> None:
    """Log `user` in on this device: a fresh cookie session (nothing planted before survives)
    naming a new server-side session."""
    token = sessions.open_session(db(), user.id, utcnow(), timeouts())
    _fresh_session()
    session["sid"] = token
    session.permanent = True  # the cookie lives as long as the absolute timeout, no longer
    login_user(LoginUser(user.id, user))


def actor() -> Person:
    """The logged-in user's context for the domain, loaded once per request."""
    if "actor" not in g:
        g.actor = load_actor(db(), current_user.id)
    return g.actor


def safe_next(target: str | None) -> str:
    """Only a path on this site (admin/security/redirects.py decides), else the home page."""
    return redirects.local_or(target, url_for("portal.index"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """A generic error whatever was wrong, so the page never tells whether a user exists."""
    if request.method == "POST":
        client, name = client_address(), request.form.get("username", "")
        throttle().check_login(client, name)  # Throttled: the 429 page, before any hash is checked
        user = accounts.authenticate(db(), name, request.form.get("password", ""))
        if user is None:
            throttle().login_failed(client, name)
            flash(_("用户名或密码错误"), "error")
            return render_template("login.html"), 401
        start_session(user)
        if user.must_change_password:
            return redirect(url_for("portal.password", next=safe_next(request.args.get("next"))))
        return redirect(safe_next(request.args.get("next")))
    return render_template("login.html")


@bp.post("/logout")
@login_required
def logout():
    """End this session on the server too: a copy of the cookie is worthless from now on."""
    sessions.close(db(), session.get("sid"))
    logout_user()
    _fresh_session()
    return redirect(url_for("portal.index"))


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """Residents join a community at once; members' report-in waits for approval."""
    communities = db().scalars(select(Region).where(Region.level == RegionLevel.COMMUNITY).order_by(Region.path)).all()
    errors: dict[str, str] = {}
    if request.method == "POST":
        # Counted only when a sign-up made an account or asked about a name (taken or free):
        # those are what the limit is for (many accounts, enumerating names). A form refused for
        # a short password or a missing field costs nothing and tells nothing, so an elder
        # correcting it five times is not locked out with everything typed lost.
        client = client_address()
        throttle().check("signup", client)
        form = request.form
        try:
            user = accounts.sign_up(db(), username=form.get("username", "").strip(), password=form.get("password", ""),
                                    display_name=form.get("display_name", ""),
                                    community_id=form_int("community_id", required=False) or 0,
                                    as_member=form.get("role") == "member", work_unit=form.get("work_unit"),
                                    org_id=form_int("org_id", required=False), phone=form.get("phone"))
        except Refused as exc:
            errors = field_errors(exc)
            if exc.fields.get("username") == accounts.NAME_UNAVAILABLE:
                throttle().count("signup", client)
        else:
            throttle().count("signup", client)
            start_session(user)
            said = [_("注册成功")]
            if form.get("role") == "member":
                said.append(_("报到申请已提交，等待社区审核"))
                if user.member is not None and user.member.org_requested_id is not None:
                    said.append(_("入组申请已发给该组织的管理员"))
            flash("，".join(str(s) for s in said), "success")
            return redirect(url_for("portal.index"))
    return render_template("signup.html", communities=communities, orgs=orgs.choices(db()), errors=errors,
                           form=request.form), (
        400 if errors else 200)
