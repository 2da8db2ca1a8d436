"""Scale: how the pages behave with 1,000,000 demands and 10,000,000 ledger entries.

The data is generated in bulk (COPY on PostgreSQL, batched INSERTs on SQLite), in two
stages, and the same pages are timed after each: the task hall and a demand page (as a
member), the points page with its balance (as a member with a long history) and the
console dashboard (as the city admin). What stays flat as the data grows 100-fold is served
by an index; what grows is named in the output. `BENCH_SCALE_DEMANDS` / `BENCH_SCALE_ENTRIES`
change the final size (defaults 1,000,000 and 10,000,000).
"""
from __future__ import annotations

import os
import re
import secrets
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, text
from werkzeug.security import generate_password_hash

from bench.common import discard, emit, fresh_databases, summary_ms
from flows.core.db import make_engine, make_sessionmaker
from flows.points.ledger import issuance_account, user_account
from schemas.tables import Account, Demand, Entry, Event, Posting, User, WorkflowVersion
from tests.world import build_world

DEMANDS = int(os.environ.get("BENCH_SCALE_DEMANDS", "1000000"))
ENTRIES = int(os.environ.get("BENCH_SCALE_ENTRIES", "10000000"))
STAGES = (100, 1)  # first 1/100 of the data, then all of it
SAMPLES = int(os.environ.get("BENCH_SCALE_SAMPLES", "30"))
PEOPLE = 10_000  # award recipients besides the member whose points page is timed
CHUNK = 50_000
STATES = ["done"] * 14 + ["open", "claimed", "served", "review", "cancelled", "rated"]  # mostly finished


def _copy(conn, table: str, columns: list[str], rows) -> None:
    """COPY on PostgreSQL (an order of magnitude faster than INSERT), batched INSERT otherwise."""
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join("?" for _ in columns)
    raw = conn.connection.driver_connection
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            raw.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", batch)
            batch = []
    if batch:
        raw.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", batch)


def _stamp(value: datetime, postgres: bool):
    return value if postgres else value.replace(tzinfo=None).isoformat(sep=" ")


def _generate(engine, world, version, first_demand: int, demands: int, first_posting: int, postings: int,
              people: list[int], accounts: dict[int, int], issuance: int) -> None:
    """Append `demands` demands (with one event each) and `postings` award postings (two entries each)."""
    postgres = engine.dialect.name == "postgresql"
    now = datetime.now(UTC)
    communities = [world["ca"], world["cb"]]
    json_empty = "{}"
    with engine.begin() as conn:
        _copy(conn, "demands", ["id", "task_type_id", "workflow_id", "workflow_version", "workflow_hash", "state",
                                "state_since", "rev", "title", "community_id", "requester_id", "capacity", "taken",
                                "required_skills", "data", "created_at"],
              ((i, world["tt_micro_wish"], "micro_wish", version.version, version.content_hash, STATES[i % len(STATES)],
                _stamp(now - timedelta(minutes=i % 500_000), postgres), 1, f"心愿 {i}", communities[i % 2],
                world["res_a"], 1, 0, "[]", json_empty, _stamp(now - timedelta(minutes=i % 500_000), postgres))
               for i in range(first_demand, first_demand + demands)))
        _copy(conn, "events", ["id", "demand_id", "subject", "subject_id", "step", "from_state", "to_state", "actor_id",
                               "data", "at"],
              ((i, i, "demand", i, "post", None, "review", world["res_a"], json_empty, _stamp(now, postgres))
               for i in range(first_demand, first_demand + demands)))
        _copy(conn, "postings", ["id", "key", "fingerprint", "kind", "amount", "memo", "demand_id", "data",
                                 "created_at"],
              ((p, f"bench:award:{p}", "x" * 64, "award", 10, "志愿服务", first_demand + p % demands, json_empty,
                _stamp(now - timedelta(seconds=p), postgres))
               for p in range(first_posting, first_posting + postings)))
        _copy(conn, "entries", ["id", "posting_id", "account_id", "amount", "created_at"],
              ((2 * p + side, p, issuance if side == 0 else accounts[people[p % len(people)]], -10 if side == 0 else 10,
                _stamp(now - timedelta(seconds=p), postgres))
               for p in range(first_posting, first_posting + postings) for side in (0, 1)))
        # The dashboard's tallies, as the migration fills them, and the balance caches, kept
        # as the ledger keeps them: the sum of each account's entries.
        from sqlalchemy.orm import Session

        from flows.engine import figures as tallies

        with Session(bind=conn) as session:
            tallies.rebuild(session)
            session.flush()
        conn.execute(text("UPDATE accounts SET balance = (SELECT COALESCE(SUM(amount), 0) FROM entries "
                          "WHERE entries.account_id = accounts.id)"))
        if postgres:
            for table in ("demands", "events", "postings", "entries"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT MAX(id) FROM {table}))"))
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()


def _size(engine, url: str) -> int:
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            return int(conn.scalar(text("SELECT pg_database_size(current_database())")))
    path = Path(url.split("///", 1)[1])
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def _client(app, username: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"username": username, "password": "bench-pass", "csrf_token": token})
    assert answer.status_code == 302, f"log-in as {username} failed"
    return client


def _time(client, path: str, samples_wanted: int = SAMPLES) -> dict:
    samples = []
    for _ in range(samples_wanted):
        started = time.perf_counter()
        answer = client.get(path)
        samples.append(time.perf_counter() - started)
        assert answer.status_code == 200, f"{path}: {answer.status_code}"
    return summary_ms(samples)


def _reconcile(factory) -> dict:
    """The database's part of the reconciler's passes (flows/orchestration/reconcile.py): an
    ordinary pass (Prefect agrees: the changes since the last pass, here none) and, once, a
    sweep's read of the open work. The Prefect calls are the same few whatever the size."""
    from flows.orchestration import reconcile

    now = datetime.now(UTC)
    with factory() as s:  # the mark a previous pass left at the newest event
        reconcile.advance(s, reconcile.Plan(sweep=True, after=0, up_to=reconcile.plan(s, 0, now).up_to), now)
    samples = []
    for _ in range(SAMPLES):
        started = time.perf_counter()
        with factory() as s:
            this_pass = reconcile.plan(s, live_runs=reconcile.count_going_on(s), now=now)
            assert not this_pass.sweep
            reconcile.facts(s, reconcile.changed(s, this_pass))
            reconcile.advance(s, this_pass, now)
        samples.append(time.perf_counter() - started)
    started = time.perf_counter()
    with factory() as s:
        going_on = len(reconcile.going_on_and(s, set()))
    return {"pass": summary_ms(samples), "sweep_ms": round((time.perf_counter() - started) * 1000, 1),
            "going_on": going_on}


def run() -> None:
    from admin.app import create_app

    for name, url in fresh_databases():
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        world = build_world(factory)
        with factory() as s, s.begin():
            password = generate_password_hash("bench-pass")
            for who in ("mem1", "cityadm"):
                s.get(User, world[who]).password_hash = password
            version = s.scalar(select(WorkflowVersion).where(WorkflowVersion.workflow_id == "micro_wish"))
            s.execute(insert(User), [{"username": f"p{i}", "display_name": "党员", "password_hash": "x", "locale": "zh",
                                      "is_active": True} for i in range(PEOPLE)])
            people = [world["mem1"]] + list(s.scalars(select(User.id).where(User.username.like("p%"))))
            accounts = {u: user_account(s, u).id for u in people}
            issuance = issuance_account(s).id
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(48)})
        member, admin = _client(app, "mem1"), _client(app, "cityadm")
        done_demands = done_postings = 0
        first_id = 1_000_000_000 // 1000  # clear of the world's own rows
        for divisor in STAGES:
            demands, postings = DEMANDS // divisor - done_demands, ENTRIES // 2 // divisor - done_postings
            started = time.perf_counter()
            _generate(engine, world, version, first_id + done_demands, demands, first_id + done_postings, postings,
                      people, accounts, issuance)
            load_seconds = time.perf_counter() - started
            done_demands, done_postings = done_demands + demands, done_postings + postings
            with factory() as s:
                open_one = s.scalar(select(Demand.id).where(Demand.state == "open", Demand.community_id == world["ca"])
                                    .order_by(Demand.id.desc()).limit(1))
                counts = {t.__tablename__: s.scalar(text(f"SELECT COUNT(*) FROM {t.__tablename__}"))
                          for t in (Demand, Event, Posting, Entry, Account)}
            pages = {"hall": _time(member, "/hall"), "demand": _time(member, f"/d/{open_one}"),
                     "points": _time(member, "/points"), "dashboard": _time(admin, "/admin/", 5)}  # seconds each at full size: 5 samples
            for page, figures in pages.items():
                emit("scale", name, page=page, demands=counts["demands"], entries=counts["entries"], **figures)
            passes = _reconcile(factory)
            emit("scale", name, page="reconcile_pass", demands=counts["demands"], going_on=passes["going_on"],
                 sweep_ms=passes["sweep_ms"], **passes["pass"])
            emit("scale-data", name, **counts, load_seconds=round(load_seconds, 1),
                 db_bytes=_size(engine, url), db_gib=round(_size(engine, url) / 2 ** 30, 2))
        app.extensions["yijia.engine"].dispose()
        engine.dispose()
        discard(url)


if __name__ == "__main__":
    run()
