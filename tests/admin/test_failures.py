"""A database connection lost at any point of a request answers the 503 page or the page that
was already decided, never a bare 500: in the view (tests/admin/test_faults.py), and at the
session's clean-up after the answer, where the issue's 1-in-380 empty 500s came from."""
from __future__ import annotations

import threading
import urllib.error
import urllib.request
from http.cookiejar import CookieJar

import pytest
from sqlalchemy import select, text
from werkzeug.serving import make_server

from admin.database import db
from flows.core.db import make_engine
from tests.admin.conftest import PASSWORD
from tests.conftest import ON_PG


def _cut(session) -> None:
    """Cut the session's connection as a server restart would."""
    if ON_PG:
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        killer = make_engine(session.get_bind().url.render_as_string(hide_password=False))
        with killer.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            conn.commit()
        killer.dispose()
    else:
        session.connection().connection.dbapi_connection.close()


def test_a_connection_lost_before_teardown_keeps_the_answer(app, world):
    @app.get("/_probe/teardown")
    def probe():
        db().execute(select(1))  # a transaction is open: teardown must roll it back
        _cut(db())
        return "answered"

    client = app.test_client()
    answer = client.get("/_probe/teardown")
    assert answer.status_code == 200 and answer.get_data(as_text=True) == "answered"
    assert client.get("/").status_code == 200  # the pool gave the next request a live connection


def test_a_connection_lost_in_the_view_is_the_busy_page(app, world):
    @app.get("/_probe/view")
    def probe():
        db().execute(select(1))
        _cut(db())
        db().execute(select(1))
        return "unreachable"

    app.config["PROPAGATE_EXCEPTIONS"] = False
    answer = app.test_client().get("/_probe/view")
    assert answer.status_code == 503 and "系统繁忙" in answer.get_data(as_text=True)


@pytest.mark.skipif(not ON_PG, reason="PostgreSQL backends terminated under load")
def test_backends_terminated_mid_burst_never_answer_500(app, world, engine):
    app.config["SERVER_NAME"] = None
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_port}"
    stop = threading.Event()

    def terminate() -> None:
        while not stop.is_set():
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
                conn.commit()
            stop.wait(0.02)

    statuses: list[int] = []

    def member() -> None:
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        body = f"username=mem1&password={PASSWORD}".encode()
        try:
            opener.open(f"{base}/login", data=body, timeout=30)
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)
        for _ in range(60):
            try:
                statuses.append(opener.open(f"{base}/hall", timeout=30).status)
            except urllib.error.HTTPError as exc:
                statuses.append(exc.code)

    killer = threading.Thread(target=terminate)
    killer.start()
    clients = [threading.Thread(target=member) for _ in range(6)]
    for t in clients:
        t.start()
    for t in clients:
        t.join(timeout=120)
    stop.set()
    killer.join(timeout=10)
    httpd.shutdown()
    assert len(statuses) >= 360 and 500 not in statuses, {s: statuses.count(s) for s in set(statuses)}
    assert set(statuses) <= {200, 302, 401, 503}
