"""The two references the web benchmark measures the real claim against, under the same
gunicorn: `bare` (the ceiling of the stack: Flask returning a constant) and `minimal` (the
ceiling of the work: the claim's conditional UPDATE and INSERTs, no framework around them)."""
from __future__ import annotations

import os
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import text

from flows.core.db import make_engine

bare = Flask("bare")


@bare.get("/")
def constant():
    return "ok"


_engine = None


def minimal(environ, start_response):
    """POST /claim/<demand_id>: one winner by a conditional UPDATE, then the claim and event rows."""
    global _engine
    if _engine is None:
        _engine = make_engine(os.environ["YIJIA_DATABASE_URL"])
    tail = environ["PATH_INFO"].rsplit("/", 1)[-1]
    if not tail.isdigit():  # the benchmark's readiness probe asks for "/"
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b""]
    demand_id = int(tail)
    user_id = int(os.environ.get("BENCH_USER_ID", "1"))
    now = datetime.now(UTC).replace(tzinfo=None)
    with _engine.begin() as conn:
        won = conn.execute(text("UPDATE demands SET state = 'claimed', taken = taken + 1, rev = rev + 1 "
                                "WHERE id = :id AND state = 'open'"), {"id": demand_id}).rowcount == 1
        if won:
            conn.execute(text("INSERT INTO claims (demand_id, step, user_id, created_by, status, created_at) "
                              "VALUES (:d, 'claim', :u, :u, 'active', :t)"), {"d": demand_id, "u": user_id, "t": now})
            conn.execute(text("INSERT INTO events (demand_id, subject, subject_id, step, from_state, to_state, "
                              "actor_id, data, at) VALUES (:d, 'demand', :d, 'claim', 'open', 'claimed', :u, '{}', :t)"),
                         {"d": demand_id, "u": user_id, "t": now})
    body = "认领成功" if won else "已被认领"
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return [body.encode()]
