"""Tracking under load, with one worker and with two (#21): claims as fast as two threads can
make them for `BENCH_FLEET_SECONDS` (60), on PostgreSQL (SQLite too with `BENCH_ENGINES`),
against one Prefect server on PostgreSQL, then against the documented HA set (two API servers,
the services apart, Redis: `BENCH_FLEET_PREFECT=single|ha` for one); then until the outbox is
empty. Before the claims, the Prefect API's own ceiling on this machine (`_ceiling`).

Figures, all from the database's own clocks: the lag from a committed change to the relay's
confirmation that its run in Prefect matches (`outbox.delivered_at - created_at`: median, p95,
max), the time to drain what was left when the claims stopped, and the relay's throughput in
demand changes delivered per second. And, with nothing to do afterwards, what the Prefect
server and the workers burn per second of idle (`idle_cpu_per_s`, in cores).
"""
from __future__ import annotations

import os
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bench.common import emit, fresh_databases, pg_available, summary_ms
from flows import engine as yijia
from flows.core.db import make_engine, make_sessionmaker
from flows.core.refusals import Refused
from schemas.settings import get_settings
from schemas.tables import Demand, Outbox
from tests.procs import PrefectServer, cpu_seconds, drop_pg_database, pg_prefect_url, worker
from tests.world import add_members, build_world

SECONDS = float(os.environ.get("BENCH_FLEET_SECONDS", "60"))
# "single": one `prefect server start`; "ha": the documented HA set (admin/ha.py: two API
# servers behind nginx, the background services in a process of their own, Redis messaging)
PREFECT = os.environ.get("BENCH_FLEET_PREFECT", "single,ha").split(",")
IDLE_SECONDS = float(os.environ.get("BENCH_FLEET_IDLE_SECONDS", "120"))  # two reminder ticks
THREADS = 2
STOCK = int(os.environ.get("BENCH_FLEET_STOCK", "20000"))  # published wishes to claim


def _stock(factory, world, count: int) -> list[int]:
    """Published wishes to claim, written in bulk as copies of one posted through the engine (as
    the scale bench does: their own posting is not what is measured)."""
    with factory() as s:
        demand = s.scalar(select(Demand).limit(1))
        assert demand is not None
        template = {c.name: getattr(demand, c.name) for c in Demand.__table__.columns if c.name != "id"}
        rows = [{**template, "title": f"心愿 {i}", "state": "open", "taken": 0} for i in range(count)]
        s.execute(Demand.__table__.insert(), rows)
        s.commit()
        return list(s.scalars(select(Demand.id).where(Demand.state == "open").order_by(Demand.id)))


def _claims(factory, world, members: list[int], demands: list[int], seconds: float) -> int:
    """Claims from THREADS threads until time is up; how many were made."""
    stop = time.monotonic() + seconds
    made = [0] * THREADS

    def claim(k: int) -> None:
        for i in range(k, len(demands), THREADS):
            if time.monotonic() >= stop:
                return
            with factory() as s:
                try:
                    yijia.act(s, members[i % len(members)], demands[i], "claim", {}, request_key=f"bench-{i}")
                    made[k] += 1
                except Refused:
                    pass

    threads = [threading.Thread(target=claim, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(made)


def run() -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if not pg_available():
        print("bench fleet: PostgreSQL is not available here; skipped")
        return
    for prefect in PREFECT:
        for workers in (1, 2):
            for name, url in fresh_databases(("postgresql", "sqlite")):
                _round(name, url, workers, temporary_settings, PREFECT_API_URL, prefect)


class _HA:
    """The HA set as the benchmark reads a server: its API URL, its CPU, stop()."""

    def __init__(self, database: str):
        import redis

        from admin.ha import PrefectHA

        for db in (REDIS_DB, REDIS_DB + 1):
            redis.Redis(db=db).flushdb()
        self.set = PrefectHA(pg_prefect_url(database), redis_db=REDIS_DB).start()
        self.api = self.set.api

    @property
    def cpu(self) -> float:
        return sum(cpu_seconds(p.pid) for p in self.set.procs.values() if p.poll() is None)

    def stop(self) -> None:
        self.set.stop()


REDIS_DB = 10  # messaging; 11 for the services' coordination (the tests use 6 and 7)


def _ceiling(seconds: float = 4.0, threads: int = 8) -> float:
    """The Prefect API's ceiling in the same run: the relay's cheapest call (the demand's live
    run, by tags) from `threads` threads for `seconds`, in calls a second. A change costs the
    relay two calls (a new run: look, create) or three (look, retag, set the state), plus its
    event, so this over 2–3 bounds the relay's changes a second on this set of servers."""
    from concurrent.futures import ThreadPoolExecutor

    from prefect.client.orchestration import get_client

    from flows.orchestration import relay

    deadline, calls = time.monotonic() + seconds, [0] * threads
    began = time.monotonic()
    with get_client(sync_client=True) as client:
        def hammer(i: int) -> None:
            while time.monotonic() < deadline:
                relay.live_run(client, 10**9 + i)
                calls[i] += 1

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(hammer, range(threads)))
    return sum(calls) / (time.monotonic() - began)


def _round(name: str, url: str, workers: int, temporary_settings, api_setting, prefect: str = "single") -> None:
    from tests.flows.walker import Walker

    engine = make_engine(url, pool_size=THREADS + 2)
    factory = make_sessionmaker(engine)
    world = build_world(factory)
    members = add_members(factory, world, "fleet", 200)
    Walker(factory, world).start("res_a", "micro_wish", {"title": "样板"})
    demands = _stock(factory, world, STOCK)
    instance = f"bench-fleet-{workers}-{int(time.time())}"
    os.environ.update(YIJIA_INSTANCE=instance, YIJIA_AUTO_STEPS="deferred")
    get_settings.cache_clear()
    prefect_db = f"yijia_prefect_fleet_{os.getpid()}"
    server = _HA(prefect_db) if prefect == "ha" else PrefectServer(pg_prefect_url(prefect_db)).start()
    folder = Path(tempfile.mkdtemp(prefix="yijia-bench-fleet-"))
    procs = [worker(url, server.api, instance, folder / f"worker{i}.log").start() for i in range(workers)]
    try:
        with temporary_settings({api_setting: server.api}):
            time.sleep(20)  # the workers register their deployments and settle
            ceiling = _ceiling()
            began = datetime.now(UTC)
            made = _claims(factory, world, members, demands, SECONDS)
            ended = time.monotonic()
            while True:
                with factory() as s:
                    left = s.scalar(select(func.count()).select_from(Outbox).where(Outbox.delivered_at.is_(None)))
                if not left:
                    break
                if time.monotonic() - ended > 1800:
                    raise RuntimeError(f"{left} outbox rows still undelivered after 30 minutes")
                time.sleep(0.5)
            drain = time.monotonic() - ended
            with factory() as s:
                rows = s.execute(select(Outbox.created_at, Outbox.delivered_at).where(Outbox.created_at >= began)).all()
            lags = [(d - c).total_seconds() for c, d in rows if d is not None]
            first = min(c for c, _ in rows)
            last = max(d for _, d in rows if d is not None)
            throughput = len(rows) / max((last - first).total_seconds(), 1e-9)
            time.sleep(15)  # the last runs finish
            cpu_before, idle_began = server.cpu + sum(p.cpu for p in procs), time.perf_counter()
            time.sleep(IDLE_SECONDS)
            idle = (server.cpu + sum(p.cpu for p in procs) - cpu_before) / (time.perf_counter() - idle_began)
        emit("fleet", name, prefect=prefect, workers=workers, claims=made, claims_per_s=round(made / SECONDS, 1),
             changes=len(rows), drain_s=round(drain, 1), relay_changes_per_s=round(throughput, 1),
             prefect_ceiling_calls_per_s=round(ceiling),
             lag=summary_ms(lags), lag_max_ms=round(max(lags) * 1000, 1), idle_cpu_per_s=round(idle, 3))
    finally:
        for p in procs:
            p.kill()
        server.stop()
        drop_pg_database(prefect_db)
        engine.dispose()


if __name__ == "__main__":
    run()
