"""Idle cost (#21): a Prefect server and one `yijia worker` with nothing to do, on a 2-core
machine where the web needs every cycle. After the start-up's runs settle (`BENCH_IDLE_WARMUP`,
25 s), the CPU both burn over `BENCH_IDLE_SECONDS` (130: two ticks of the reminders' minute, the
most frequent schedule), in cores."""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from bench.common import emit
from flows.core import migrate
from flows.core.db import make_engine, make_sessionmaker
from tests.procs import PrefectServer, worker
from tests.world import build_world

WARMUP = float(os.environ.get("BENCH_IDLE_WARMUP", "25"))
SECONDS = float(os.environ.get("BENCH_IDLE_SECONDS", "130"))


def run() -> None:
    folder = Path(tempfile.mkdtemp(prefix="yijia-bench-idle-"))
    url = f"sqlite:///{folder}/yijia.db"
    migrate.upgrade(url)
    build_world(make_sessionmaker(make_engine(url)))
    server = PrefectServer().start()
    work = worker(url, server.api, f"bench-idle-{int(time.time())}", folder / "worker.log").start()
    try:
        time.sleep(WARMUP)
        server_before, worker_before, began = server.cpu, work.cpu, time.perf_counter()
        time.sleep(SECONDS)
        wall = time.perf_counter() - began
        server_rate, worker_rate = (server.cpu - server_before) / wall, (work.cpu - worker_before) / wall
        emit("idle", "sqlite", seconds=round(wall), server_cores=round(server_rate, 3),
             worker_cores=round(worker_rate, 3), idle_cpu_per_s=round(server_rate + worker_rate, 3))
    finally:
        work.kill()
        server.stop()


if __name__ == "__main__":
    run()
