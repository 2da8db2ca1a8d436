"""One engine per app and one session per request, closed when the request ends."""
from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from flows.core.db import make_engine, make_sessionmaker


def init_app(app: Flask) -> None:
    """Attach an engine and a session factory built from the app's database URL."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["yijia.engine"] = engine
    app.extensions["yijia.sessions"] = make_sessionmaker(engine)
    app.teardown_appcontext(_close_session)


def db() -> Session:
    """The request's session, opened on first use."""
    if "db" not in g:
        g.db = current_app.extensions["yijia.sessions"]()
    return g.db


def _close_session(_exc: BaseException | None) -> None:
    """Teardown runs after the answer is decided: a lost connection here must not turn it into a
    bare 500 (admin/security/failures.py)."""
    from admin.security.failures import discard

    discard(g.pop("db", None))
