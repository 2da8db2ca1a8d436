"""Sign-up, log-in and log-out, with Flask-Login sessions."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from sqlalchemy import select

from admin.database import db
from admin.i18n import field_errors
from admin.params import form_int
from flows.core.refusals import Refused
from flows.people import accounts, orgs
from flows.people.actors import Person, load_actor
from schemas.tables import Region, RegionLevel, User

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录"


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
    """The user's whole acting context in one query, kept for the request: an inactive or
    unknown user is logged out."""
    context = load_actor(db(), int(user_id)) if user_id.isdigit() else None
    if context is None:
        return None
    g.actor = context
    return LoginUser(context.user_id)


def actor() -> Person:
    """The logged-in user's context for the domain, loaded once per request."""
    if "actor" not in g:
        g.actor = load_actor(db(), current_user.id)
    return g.actor


def safe_next(target: str | None) -> str:
    """Only a path on this site: never `//evil.example` or `https://…`."""
    if not target:
        return url_for("portal.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("portal.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """A generic error whatever was wrong, so the page never tells whether a user exists."""
    if request.method == "POST":
        user = accounts.authenticate(db(), request.form.get("username", ""), request.form.get("password", ""))
        if user is None:
            flash(_("用户名或密码错误，或尝试次数过多请稍后再试"), "error")
            return render_template("login.html"), 401
        lang = session.get("lang")
        session.clear()  # a fresh session at log-in: nothing planted before survives
        if lang:
            session["lang"] = lang
        login_user(LoginUser(user.id, user))
        return redirect(safe_next(request.args.get("next")))
    return render_template("login.html")


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.clear()
    return redirect(url_for("portal.index"))


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """Residents join a community at once; members' report-in waits for approval."""
    communities = db().scalars(select(Region).where(Region.level == RegionLevel.COMMUNITY).order_by(Region.path)).all()
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        try:
            user = accounts.sign_up(db(), username=form.get("username", "").strip(), password=form.get("password", ""),
                                    display_name=form.get("display_name", ""),
                                    community_id=form_int("community_id", required=False) or 0,
                                    as_member=form.get("role") == "member", work_unit=form.get("work_unit"),
                                    org_id=form_int("org_id", required=False))
        except Refused as exc:
            errors = field_errors(exc)
        else:
            session.clear()
            login_user(LoginUser(user.id, user))
            flash(_("注册成功") + ("，" + _("报到申请已提交，等待社区审核") if form.get("role") == "member" else ""),
                  "success")
            return redirect(url_for("portal.index"))
    return render_template("signup.html", communities=communities, orgs=orgs.choices(db()), errors=errors,
                           form=request.form), (
        400 if errors else 200)
