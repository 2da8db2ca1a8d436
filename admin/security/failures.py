"""The database going away answers the 503 page ("nothing was changed, retry"), wherever in a
request it happens: loading the logged-in user, the view, rendering, the response hooks, and
the session's clean-up at teardown. Anything else unexpected answers a plain 500 page.
"""
from __future__ import annotations

import logging

from flask import Flask, current_app, g, render_template
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, PendingRollbackError
from werkzeug.exceptions import InternalServerError

log = logging.getLogger(__name__)


def is_unavailable(exc: BaseException | None) -> bool:
    """A database locked past the busy timeout, restarting, unreachable or cut mid-request."""
    if isinstance(exc, (OperationalError, InterfaceError, PendingRollbackError)):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def busy_page(exc: BaseException):
    """The 503 page. Rendering must not touch the database again: Flask-Login's template context
    would load the user through it, so the page is rendered as for a visitor."""
    from admin.auth import login_manager

    current_app.logger.warning("database unavailable: %s", getattr(exc, "orig", None) or exc)
    g._login_user = login_manager.anonymous_user()
    discard(g.pop("db", None))
    return render_template("busy.html"), 503, {"Retry-After": "5"}


def _server_error(exc: InternalServerError):
    """Unhandled errors (also from after-request hooks): the 503 page if the database is the
    cause, else a plain page, never a bare 500."""
    original = getattr(exc, "original_exception", None)
    if is_unavailable(original):
        return busy_page(original)  # type: ignore[arg-type]
    from admin.auth import login_manager

    g._login_user = login_manager.anonymous_user()
    return render_template("500.html"), 500


def discard(session) -> None:
    """Close a session whose connection may be dead; never raises (a teardown that raised would
    answer a bare 500 after the page was ready). A connection that cannot roll back is
    invalidated, and the pool opens a new one next time."""
    if session is None:
        return
    try:
        session.close()
    except Exception as exc:  # the answer is already decided; only the connection is lost
        log.warning("closing a database session failed: %s", exc)
        try:
            session.invalidate()
        except Exception:
            log.debug("invalidating the session failed too", exc_info=True)


def init_app(app: Flask) -> None:
    for kind in (OperationalError, InterfaceError, PendingRollbackError, DBAPIError):
        app.register_error_handler(kind, _db_error)
    app.register_error_handler(InternalServerError, _server_error)


def _db_error(exc: Exception):
    if is_unavailable(exc):
        return busy_page(exc)
    raise exc  # a real bug (a constraint, bad SQL): the 500 path, logged
