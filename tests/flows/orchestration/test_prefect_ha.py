"""Prefect in high availability (admin/ha.py, docs/deploy.md): two API servers and the
background services on PostgreSQL with Redis, behind nginx; a worker against nginx. One API
server is killed while actions arrive: nothing is lost, each demand has one run showing its
state. PostgreSQL only (Prefect's HA needs it): the PostgreSQL pass of .ci/run runs it."""
from __future__ import annotations

import os
import time

import pytest
import redis

from admin.ha import PrefectHA
from flows.orchestration import automations, lifecycle
from schemas.settings import get_settings
from tests.flows.orchestration.live import client, runs, shows, undelivered, wait
from tests.flows.walker import Walker
from tests.procs import drop_pg_database, pg_prefect_url, worker
from tests.world import build_world

pytestmark = [pytest.mark.prefect, pytest.mark.slow, pytest.mark.skipif(
    os.environ.get("YIJIA_TEST_PREFECT_DATABASE") != "postgresql",
    reason="Prefect in HA runs on PostgreSQL: the PostgreSQL pass of .ci/run")]
REDIS_DB = 6  # messaging; 7 for the services' coordination


@pytest.fixture
def ha(db_url, factory, tmp_path, monkeypatch):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    instance = f"ha-{os.getpid()}-{int(time.time() * 1000)}"
    monkeypatch.setenv("YIJIA_AUTO_STEPS", "deferred")
    monkeypatch.setenv("YIJIA_INSTANCE", instance)
    get_settings.cache_clear()
    monkeypatch.setattr(lifecycle, "sessions", lambda: factory)
    for db in (REDIS_DB, REDIS_DB + 1):
        redis.Redis(db=db).flushdb()
    name = f"yijia_prefect_ha_{os.getpid()}"
    servers = PrefectHA(pg_prefect_url(name), redis_db=REDIS_DB).start()
    work = worker(db_url, servers.api, instance, tmp_path / "worker.log").start()
    try:
        with temporary_settings({PREFECT_API_URL: servers.api}):
            yield build_world(factory), servers
    finally:
        work.kill()
        servers.stop()
        drop_pg_database(name)
        get_settings.cache_clear()


def test_an_api_server_killed_while_actions_arrive_loses_nothing(ha, factory):
    world, servers = ha
    before = [Walker(factory, world) for _ in range(3)]
    for i, walk in enumerate(before):
        walk.start("res_a", "micro_wish", {"title": f"两台服务器都在 {i}"})
    wait(lambda: undelivered(factory) == 0, timeout=120)
    servers.stop_server(0)  # SIGKILL: as when its machine goes away
    after = [Walker(factory, world) for _ in range(3)]
    for i, walk in enumerate(after):
        walk.start("res_a", "micro_wish", {"title": f"一台服务器没了 {i}"})
        walk.act("cadm_a", "publish")
    before[0].act("cadm_a", "publish")
    wait(lambda: undelivered(factory) == 0, timeout=120)
    assert shows(before[0].demand_id, "待认领")
    for walk in before[1:]:
        assert shows(walk.demand_id, "待审核"), [(r.name, r.state.name) for r in runs(walk.demand_id)]
    for walk in after:
        assert shows(walk.demand_id, "待认领"), [(r.name, r.state.name) for r in runs(walk.demand_id)]
    with factory() as s:
        wanted = {w.name for w in automations.all_watches(s)}
    with client() as c:
        assert sorted(a.name for a in automations.ours(c)) == sorted(wanted)
