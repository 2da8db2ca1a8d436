"""The real-process fixture: a Prefect server and `yijia worker` processes on this test's
database (the server on SQLite, or on PostgreSQL when `YIJIA_TEST_PREFECT_DATABASE=postgresql`,
as `.ci/run` does in its PostgreSQL pass)."""
from __future__ import annotations

import os
import time

import pytest

from flows.orchestration import lifecycle
from schemas.settings import get_settings
from tests.procs import PrefectServer, drop_pg_database, pg_prefect_url, worker
from tests.world import build_world


@pytest.fixture
def live(db_url, factory, tmp_path, monkeypatch):
    """`world, server, start_worker`: `start_worker(name="worker", failpoint=…, **environment)`
    starts one more worker process (its log `<name>.log`); every one is killed at the end."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    instance = f"faults-{os.getpid()}-{int(time.time() * 1000)}"
    monkeypatch.setenv("YIJIA_AUTO_STEPS", "deferred")
    monkeypatch.setenv("YIJIA_INSTANCE", instance)
    get_settings.cache_clear()
    monkeypatch.setattr(lifecycle, "sessions", lambda: factory)  # in-process flows: this test's database
    world = build_world(factory)
    pg = os.environ.get("YIJIA_TEST_PREFECT_DATABASE") == "postgresql"
    prefect_db = f"yijia_prefect_{os.getpid()}"
    server = PrefectServer(pg_prefect_url(prefect_db) if pg else None).start()
    workers = []

    def start_worker(name="worker", **extra):
        if not pg:  # as `yijia up` does: Prefect's SQLite database has one writer at a time
            extra.setdefault("YIJIA_RELAY_SYNC_THREADS", "2")
        workers.append(worker(db_url, server.api, instance, tmp_path / f"{name}.log", **extra).start())
        return workers[-1]

    try:
        with temporary_settings({PREFECT_API_URL: server.api}):
            yield world, server, start_worker
    finally:
        for process in workers:
            process.kill()
        server.stop()
        if pg:
            drop_pg_database(prefect_db)
        get_settings.cache_clear()  # last: nothing may cache this test's settings after it
