"""Prefect: how soon a committed action shows on its demand's run, what one demand's whole
lifecycle costs the Prefect server and worker in CPU, and the naive alternative.

A real `prefect server start` (on SQLite, then on PostgreSQL) and a real `yijia worker`
(runner + outbox relay). Micro-wishes are walked through post → publish → claim → serve →
evaluate → (award, in Prefect) → done, one action at a time; after each action the bench
polls the API until the run shows the next step (the state name, or Completed). The naive
baseline runs one Prefect flow synchronously inside each action, as a web handler that
"uses Prefect for every step" would, against the same server.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.common import emit, pg_available, summary_ms
from flows import engine
from flows.core import migrate
from flows.core.db import make_engine, make_sessionmaker
from schemas.settings import get_settings
from tests.procs import PrefectServer, pg_prefect_url, worker
from tests.world import build_world

DEMANDS = int(os.environ.get("BENCH_PREFECT_DEMANDS", "10"))
NAIVE_ACTIONS = int(os.environ.get("BENCH_PREFECT_NAIVE", "20"))
IDLE_SECONDS = 10
STEPS = [("cadm_a", "publish", {}, "待认领"), ("mem1", "claim", {}, "服务中"),
         ("mem1", "serve", {"hours": 1, "note": "修好了"}, "待评价"), ("res_a", "evaluate", {"rating": 5}, "已完成")]


def _wait_for(client, demand_id: int, title: str, timeout: float = 120) -> float:
    """Seconds until the demand's run shows `title` (paused under it, or finished with it)."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags

    from flows.orchestration.naming import instance_tag

    started = time.perf_counter()
    tags = FlowRunFilterTags(all_=[f"demand:{demand_id}", instance_tag()])
    while time.perf_counter() - started < timeout:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(tags=tags), limit=5)
        if any(r.state and r.state.name == title for r in runs):
            return time.perf_counter() - started
        time.sleep(0.05)
    raise TimeoutError(f"demand {demand_id}: run never showed {title}")


def _naive(factory, world, client_api: str) -> dict:
    """The same publish action, direct and wrapped in a synchronous flow run."""
    from prefect import flow
    from prefect.settings import PREFECT_API_URL, temporary_settings

    @flow(name="naive-action")
    def naive_action(demand_id: int) -> str:
        with factory() as s:
            return engine.act(s, world["cadm_a"], demand_id, "publish", {}).to_state

    def fresh() -> int:
        with factory() as s:
            return engine.start(s, world["res_a"], world["tt_micro_wish"], {"title": "基线"},
                                community_id=world["ca"]).demand_id

    direct, wrapped = [], []
    for _ in range(NAIVE_ACTIONS):
        demand_id = fresh()
        started = time.perf_counter()
        with factory() as s:
            engine.act(s, world["cadm_a"], demand_id, "publish", {})
        direct.append(time.perf_counter() - started)
    with temporary_settings({PREFECT_API_URL: client_api}):
        naive_action(fresh())  # warm: first flow registration
        for _ in range(NAIVE_ACTIONS):
            demand_id = fresh()
            started = time.perf_counter()
            naive_action(demand_id)
            wrapped.append(time.perf_counter() - started)
        # Send the naive runs' queued events while their server is up: at exit, with the server
        # stopped, Prefect's events worker retries each for a minute.
        from prefect.events.worker import EventsWorker

        EventsWorker.drain_all(timeout=30)
    return {"direct": summary_ms(direct), "naive": summary_ms(wrapped)}


def run() -> None:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    servers = [("sqlite", None)] + ([("postgresql", "pg")] if pg_available() else [])
    wanted = os.environ.get("BENCH_PREFECT_SERVERS")
    for server_engine, pg in servers:
        if wanted and server_engine not in wanted.split(","):
            continue
        folder = Path(tempfile.mkdtemp(prefix="yijia-bench-prefect-"))
        url = f"sqlite:///{folder}/yijia.db"
        migrate.upgrade(url)
        factory = make_sessionmaker(make_engine(url))
        world = build_world(factory)
        instance = f"bench-{server_engine}-{int(time.time())}"
        os.environ["YIJIA_INSTANCE"] = instance
        os.environ["YIJIA_AUTO_STEPS"] = "deferred"
        get_settings.cache_clear()
        server = PrefectServer(pg_prefect_url("yijia_prefect_bench") if pg else None).start()
        work = worker(url, server.api, instance, folder / "worker.log").start()
        try:
            with temporary_settings({PREFECT_API_URL: server.api}), get_client(sync_client=True) as client:
                # the worker is ready when its deployments are registered
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    if any(d.name == "sla-timeout" for d in client.read_deployments()):
                        break
                    time.sleep(0.5)
                time.sleep(3)
                idle_start, idle_cpu = time.perf_counter(), server.cpu + work.cpu
                time.sleep(IDLE_SECONDS)
                idle_rate = (server.cpu + work.cpu - idle_cpu) / (time.perf_counter() - idle_start)

                latencies: dict[str, list[float]] = {}
                server_before, worker_before = server.cpu, work.cpu
                cpu_before, wall_before = server.cpu + work.cpu, time.perf_counter()
                for i in range(DEMANDS):
                    with factory() as s:
                        demand_id = engine.start(s, world["res_a"], world["tt_micro_wish"], {"title": f"心愿 {i}"},
                                                 community_id=world["ca"], now=datetime.now(UTC)).demand_id
                    latencies.setdefault("post", []).append(_wait_for(client, demand_id, "待审核"))
                    for user, step, data, title in STEPS:
                        with factory() as s:
                            engine.act(s, world[user], demand_id, step, data)
                        latencies.setdefault(step, []).append(_wait_for(client, demand_id, title))
                wall = time.perf_counter() - wall_before
                cpu = server.cpu + work.cpu - cpu_before
                human = [x for step, xs in latencies.items() if step != "evaluate" for x in xs]
                emit("prefect-latency", server_engine, demands=DEMANDS, kind="human step (relay renames/pauses)",
                     **_seconds(human))
                emit("prefect-latency", server_engine, demands=DEMANDS,
                     kind="evaluate → award run in Prefect → Completed", **_seconds(latencies["evaluate"]))
                emit("prefect-cpu", server_engine, demands=DEMANDS, wall_s=round(wall, 1),
                     cpu_s_per_demand=round(cpu / DEMANDS, 3),
                     cpu_s_per_demand_above_idle=round((cpu - idle_rate * wall) / DEMANDS, 3),
                     server_cpu_s_per_demand=round((server.cpu - server_before) / DEMANDS, 3),
                     worker_cpu_s_per_demand=round((work.cpu - worker_before) / DEMANDS, 3),
                     idle_cpu_per_s=round(idle_rate, 3))
            naive = _naive(factory, world, server.api)
            emit("prefect-naive", server_engine, actions=NAIVE_ACTIONS, direct_p50_ms=naive["direct"]["p50_ms"],
                 direct_p95_ms=naive["direct"]["p95_ms"], naive_p50_ms=naive["naive"]["p50_ms"],
                 naive_p95_ms=naive["naive"]["p95_ms"],
                 naive_over_direct=round(naive["naive"]["p50_ms"] / max(naive["direct"]["p50_ms"], 0.01), 1))
        finally:
            work.stop()
            server.stop()
            shutil.rmtree(folder, ignore_errors=True)
            shutil.rmtree(server.home, ignore_errors=True)
            if pg:
                from tests.procs import drop_pg_database

                drop_pg_database("yijia_prefect_bench")


def _seconds(samples: list[float]) -> dict:
    figures = summary_ms(samples)
    return {"n": len(samples), "median_s": round(figures["p50_ms"] / 1000, 2), "p95_s": round(figures["p95_ms"] / 1000, 2)}


if __name__ == "__main__":
    run()
