"""The Flask app factory: defaults in code, then settings from the environment, then the
test mapping last, so tests can point one app at a throwaway database."""
from __future__ import annotations

from typing import Any, Mapping

from flask import Flask, request, session
from flask_babel import Babel, get_locale
from flask_wtf import CSRFProtect

from schemas.settings import get_settings

from . import database

csrf = CSRFProtect()
babel = Babel()


def select_locale() -> str:
    """Chinese unless the user chose English (`?lang=en` is remembered in the session)."""
    lang = request.args.get("lang")
    if lang in ("zh", "en"):
        session["lang"] = lang
    return "en" if session.get("lang") == "en" else "zh_Hans_CN"


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web app: member portal, and (later) the Flask-Admin console."""
    settings = get_settings()
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        DATABASE_URL=settings.database_url,
        BABEL_DEFAULT_LOCALE="zh_Hans_CN",
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if test_config:
        app.config.update(test_config)
    database.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.context_processor(lambda: {"html_lang": "en" if str(get_locale()) == "en" else "zh-CN"})

    from .portal import bp as portal_bp

    app.register_blueprint(portal_bp)
    return app
