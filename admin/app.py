"""The Flask app factory: defaults in code, then settings from the environment, then the
test mapping last, so tests can point one app at a throwaway database."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import Flask, g, redirect, render_template, request, session, url_for
from flask_babel import Babel, get_locale
from flask_wtf import CSRFProtect

from admin import database, dates, events, i18n, phones
from admin.params import SEARCH_MAX, BadParam, IdConverter, refuse_nul_bytes
from admin.security import expired, failures, headers, json_input, keys, throttle
from flows.core.i18n import DIRECTORY as TRANSLATIONS
from flows.core.i18n import READING
from flows.people import privacy
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


def _reading() -> None:
    """The workflows' own words follow the reader's language for this request (the domain reads
    it from flows.core.i18n.READING): the page's or, on the API, Accept-Language."""
    from admin.api.problems import locale as api_locale
    from admin.i18n import lang

    g.reading = READING.set(api_locale() if request.path.startswith("/api/") else lang())


def _read(_exc: BaseException | None = None) -> None:
    token = g.pop("reading", None)
    if token is not None:
        READING.reset(token)


def local_time(value, fmt: str = "%m-%d %H:%M") -> str:
    """A stored UTC time as the people of Yichun read it (Beijing time)."""
    return value.astimezone(LOCAL_TZ).strftime(fmt) if value is not None else ""


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web app: member portal, and (later) the Flask-Admin console."""
    settings = get_settings()
    app = Flask(__name__, instance_relative_config=False)
    app.json = json_input.BoundedJSONProvider(app)  # a body of nested brackets is a 400, not a RecursionError
    app.config.update(
        SECRET_KEY=settings.secret_key,
        DATABASE_URL=settings.database_url,
        # Sessions: idle and absolute timeouts (docs/security.md); the cookie only over HTTPS
        # when the deployment says it is behind HTTPS, then also with the __Host- prefix.
        YIJIA_SESSION_IDLE=timedelta(minutes=settings.session_idle_minutes),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_absolute_hours),
        SESSION_COOKIE_SECURE=settings.behind_https,
        SESSION_COOKIE_NAME="__Host-yijia" if settings.behind_https else "yijia",
        BABEL_DEFAULT_LOCALE="zh_Hans_CN",
        # The one catalogue, shared with the domain (flows/core/i18n.py).
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # The cookie is sent only when a request changed the session. With Flask's default every
        # request of a permanent session re-sent it, a stylesheet's or icon's too, with what it
        # read before: a page's asset answered after a change (the sign-in QR code's scan)
        # put the older session back in the browser and the change was lost. The cookie's
        # expiry is the absolute timeout from login (auth.start_session); the idle timeout is
        # kept on the server (flows/people/sessions.py), so nothing needs the refresh.
        SESSION_REFRESH_EACH_REQUEST=False,
        STORAGE_DIR=None,  # uploads where the settings say (flows/core/storage.py); a test names its own
        WTF_CSRF_TIME_LIMIT=None,  # a form left open on a phone over lunch still submits
    )
    if test_config:
        app.config.update(test_config)
    # Refuses to go on with a missing, published or short key outside development.
    app.config["SECRET_KEY"] = keys.resolve(app.config.get("SECRET_KEY"), settings.env, settings.instance_dir)
    if settings.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.url_map.converters["id"] = IdConverter
    headers.init_app(app)
    throttle.init_app(app, settings.redis_url)
    database.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["search_max"] = SEARCH_MAX
    app.jinja_env.globals.update(event_title=events.event_title, message_kind=events.message_kind)
    app.context_processor(lambda: {"html_lang": "en" if str(get_locale()) == "en" else "zh-CN"})
    app.add_template_filter(local_time, "local")
    app.add_template_filter(dates.when, "when")
    app.add_template_filter(dates.day, "day")
    app.add_template_filter(dates.span, "span")
    app.add_template_filter(phones.tel, "tel")
    app.add_template_filter(phones.tel_in, "tel_in")
    app.add_template_filter(i18n.tab_words, "tab_words")
    for name in ("mask_name", "mask_phone", "mask_phones_in"):
        app.add_template_filter(getattr(privacy, name), name)

    from admin import auth
    from admin.portal import bp as portal_bp
    from admin.portal.back import referrer_path

    auth.login_manager.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(portal_bp)
    from admin import console

    console.init_app(app)
    app.register_error_handler(404, lambda _e: (render_template("404.html"), 404))
    app.register_error_handler(BadParam, lambda e: (render_template("400.html", message=e.description,
                                                                    back=referrer_path()), 400))
    app.register_error_handler(throttle.Throttled, _too_many)
    failures.init_app(app)
    expired.init_app(app)
    app.before_request(_reading)
    app.teardown_request(_read)
    app.before_request(refuse_nul_bytes)
    app.before_request(_password_change_first)
    from admin import api

    api.init_app(app)  # last: it makes the handlers above answer problems on the API's paths
    return app


def _too_many(exc: throttle.Throttled):
    """429 with the wait in words and in `Retry-After`."""
    minutes = max(1, (exc.retry_after + 59) // 60)
    return render_template("429.html", minutes=minutes, what=exc.what), 429, {"Retry-After": str(exc.retry_after)}


# Pages a user with a temporary password may still open.
_BEFORE_NEW_PASSWORD = frozenset({"static", "portal.password", "auth.logout", "auth.login", "portal.healthz"})


def _password_change_first():
    """A temporary password (an admin's reset, an import) is changed before anything else."""
    if request.endpoint in _BEFORE_NEW_PASSWORD or request.blueprint == "api":
        return None  # the API reads no cookie; its bearer check refuses a temporary password
    from flask_login import current_user

    if current_user.is_authenticated and g.get("must_change_password"):
        return redirect(url_for("portal.password", next=request.full_path if request.method == "GET" else None))
    return None
