"""Reminders (#17): what one pass of `flows.engine.reminders.due` costs, the worker's every minute.

10,000 activities, each with one member signed up: `WINDOW` of them start within the next two
days (the longest `before` of joint_activity, so the pass looks at them), the rest later. One
pass that asks each of them for a confirmation (one transaction each), then idle passes: the
keys are used, so the pass is the indexed range of start times and one query for its keys.
The far activities are never read (the query plan is printed on PostgreSQL).
"""
from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, insert, select, text

from bench.common import emit, fresh_databases, summary_ms
from flows import engine
from flows.core.db import make_engine, make_sessionmaker
from flows.engine import reminders
from schemas.tables import Claim, ClaimStatus, Demand, Notification
from tests.world import NOW, build_world

TOTAL = 10_000
WINDOW = 500
IDLE_PASSES = 20


def _activities(factory, world) -> None:
    """One real activity through the engine, copied: WINDOW inside the next two days, the rest after."""
    start = NOW + timedelta(days=5)
    with factory() as s:
        demand = engine.start(s, world["cadm_a"], world["tt_env_cleanup"], {
            "title": "楼道大扫除", "description": "d", "place": "p", "capacity": 5, "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat()}, community_id=world["ca"], now=NOW).demand_id
    for user, step in [("cadm_a", "publish"), ("orgadm1", "grab"), ("mem1", "sign_up")]:
        with factory() as s:
            engine.act(s, world[user], demand, step, now=NOW)
    with factory() as s, s.begin():
        row = s.get(Demand, demand)
        columns = {c.key: getattr(row, c.key) for c in Demand.__table__.columns if c.key != "id"}
        rows = []
        for i in range(TOTAL):
            begins = NOW + timedelta(hours=25 + (23 * i / WINDOW) if i < WINDOW else 24 * 3 + i)
            rows.append({**columns, "starts_at": begins, "ends_at": begins + timedelta(hours=2)})
        ids = s.scalars(insert(Demand).returning(Demand.id), rows).all()
        s.execute(insert(Claim), [{"demand_id": d, "step": "sign_up", "user_id": world["mem1"],
                                   "created_by": world["mem1"], "status": ClaimStatus.ACTIVE,
                                   "created_at": NOW - timedelta(days=3)} for d in ids])


def run() -> None:
    for name, url in fresh_databases():
        factory = make_sessionmaker(make_engine(url))
        world = build_world(factory)
        _activities(factory, world)
        if name == "postgresql":
            with factory() as s:
                s.execute(text("ANALYZE demands"))
                plan = s.execute(text(
                    "EXPLAIN SELECT id, workflow_id, workflow_version, workflow_hash, state, starts_at FROM demands "
                    "WHERE starts_at > :now AND starts_at <= :until ORDER BY starts_at, id"),
                    {"now": NOW, "until": NOW + timedelta(days=2)}).scalars().all()
            print("\n".join(plan))
        cpu, began = time.process_time(), time.perf_counter()
        with factory() as s:
            done = reminders.due(s, NOW)
        first, first_cpu = time.perf_counter() - began, time.process_time() - cpu
        with factory() as s:
            told = s.scalar(select(func.count()).select_from(Notification).where(Notification.kind == "sign_up:ask"))
        assert done == {"ask": WINDOW} and told == WINDOW, (done, told)
        idle = []
        for _ in range(IDLE_PASSES):
            began = time.perf_counter()
            with factory() as s:
                assert reminders.due(s, NOW + timedelta(seconds=1)) == {}
            idle.append(time.perf_counter() - began)
        emit("reminders.pass", name, demands=TOTAL, in_window=WINDOW, first_pass_s=round(first, 2),
             first_pass_cpu_s=round(first_cpu, 2), per_request_ms=round(first / WINDOW * 1000, 2),
             idle_pass=summary_ms(idle))
