"""The Flask app factory: defaults in code, then settings from the environment, then the
test mapping last, so tests can point one app at a throwaway database."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, render_template, request, session
from flask_babel import Babel, get_locale
from flask_wtf import CSRFProtect
from sqlalchemy.exc import OperationalError

from admin import database
from admin.params import BadParam, IdConverter
from flows.core.i18n import DIRECTORY as TRANSLATIONS
from schemas.clock import LOCAL_TZ
from schemas.settings import get_settings

csrf = CSRFProtect()
babel = Babel()


def select_locale() -> str:
    """Chinese unless the user chose English (`?lang=en` is remembered in the session)."""
    lang = request.args.get("lang")
    if lang in ("zh", "en"):
        session["lang"] = lang
    return "en" if session.get("lang") == "en" else "zh_Hans_CN"


def local_time(value, fmt: str = "%m-%d %H:%M") -> str:
    """A stored UTC time as the people of Yichun read it (Beijing time)."""
    return value.astimezone(LOCAL_TZ).strftime(fmt) if value is not None else ""


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web app: member portal, and (later) the Flask-Admin console."""
    settings = get_settings()
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        DATABASE_URL=settings.database_url,
        BABEL_DEFAULT_LOCALE="zh_Hans_CN",
        # The one catalogue, shared with the domain (flows/core/i18n.py).
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        STORAGE_DIR=settings.storage_dir,
        WTF_CSRF_TIME_LIMIT=None,  # a form left open on a phone over lunch still submits
    )
    if test_config:
        app.config.update(test_config)
    app.url_map.converters["id"] = IdConverter
    database.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.context_processor(lambda: {"html_lang": "en" if str(get_locale()) == "en" else "zh-CN"})
    app.add_template_filter(local_time, "local")

    from admin import auth
    from admin.portal import bp as portal_bp

    auth.login_manager.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(portal_bp)
    from admin import console

    console.init_app(app)
    app.register_error_handler(404, lambda _e: (render_template("404.html"), 404))
    app.register_error_handler(BadParam, lambda e: (render_template("400.html", message=e.description), 400))
    app.register_error_handler(OperationalError, _database_unavailable)
    return app


def _database_unavailable(exc: OperationalError):
    """The database is locked past the busy timeout, restarting or unreachable: the action's
    transaction has been rolled back, so say so plainly and ask for a retry (503, not 500)."""
    from flask import current_app, g

    current_app.logger.warning("database unavailable: %s", exc.orig if exc.orig is not None else exc)
    # Rendering must not touch the database again: Flask-Login's template context would load
    # the user through it, so the page is rendered as for a visitor.
    from admin.auth import login_manager

    g._login_user = login_manager.anonymous_user()
    session_ = g.pop("db", None)
    if session_ is not None:
        try:
            session_.close()
        except Exception:
            pass
    return render_template("busy.html"), 503, {"Retry-After": "5"}
