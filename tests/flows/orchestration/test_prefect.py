"""Prefect for real: a test server, deployments applied, runs created and moved by the relay,
the lifecycle flow executed by Prefect's own engine."""
from __future__ import annotations

import json
import os
from datetime import UTC, timedelta

import pytest
from sqlalchemy import func, select, update

from flows.engine import effects
from flows.orchestration import lifecycle, paging, relay, worker
from flows.points import ledger
from schemas.settings import get_settings
from schemas.tables import Demand, Outbox, Posting
from tests.flows.walker import Walker
from tests.world import NOW, build_world

pytestmark = pytest.mark.prefect


@pytest.fixture(scope="module")
def prefect_server():
    """Prefect's test harness (a server on SQLite), or with `YIJIA_TEST_PREFECT_DATABASE=
    postgresql` (the CI PostgreSQL pass) a `prefect server start` on a PostgreSQL database."""
    if os.environ.get("YIJIA_TEST_PREFECT_DATABASE") == "postgresql":
        from prefect.settings import PREFECT_API_URL, temporary_settings

        from tests.procs import PrefectServer, drop_pg_database, pg_prefect_url

        name = f"yijia_prefect_h{os.getpid()}"
        server = PrefectServer(pg_prefect_url(name)).start()
        try:
            with temporary_settings({PREFECT_API_URL: server.api}):
                yield
        finally:
            server.stop()
            drop_pg_database(name)
        return
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture
def wired(prefect_server, factory, monkeypatch):
    """Automated steps deferred to Prefect, the flows pointed at the test database."""
    import uuid

    from prefect.client.orchestration import get_client

    monkeypatch.setenv("YIJIA_AUTO_STEPS", "deferred")
    monkeypatch.setenv("YIJIA_INSTANCE", f"test-{uuid.uuid4().hex[:12]}")  # one shared server, many databases
    get_settings.cache_clear()
    monkeypatch.setattr(lifecycle, "sessions", lambda: factory)
    world = build_world(factory)
    with factory() as s:
        worker.apply_all(s)
    with get_client(sync_client=True) as client:
        yield world, client
    get_settings.cache_clear()


def _run(client, demand_id):
    return relay.live_run(client, demand_id)


def _execute(client, run):
    """What a worker does with a scheduled run: Prefect's engine runs it in this process."""
    from prefect.flow_engine import run_flow_sync

    flow_run = client.read_flow_run(run.id)
    return run_flow_sync(lifecycle.demand_lifecycle, flow_run=flow_run, parameters={"demand_id": flow_run.parameters[
        "demand_id"]}, return_type="state")


def test_each_step_shows_on_the_run(wired, factory):
    world, client = wired
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "给独居老人修灯"})
    expected = [(None, "待审核", "step:publish"), (("cadm_a", "publish", {}), "待认领", "step:claim"),
                (("mem1", "claim", {}), "服务中", "step:serve"),
                (("mem1", "serve", {"hours": 2, "note": "换灯泡"}), "待评价", "step:evaluate")]
    for action, title, tag in expected:
        if action:
            walk.act(*action)
        assert relay.deliver(factory, client)["failed"] == 0
        run = _run(client, walk.demand_id)
        assert run.name == f"微心愿 #{walk.demand_id} · 旭日社区"  # no personal data: not the resident's words
        assert (run.state.type.value, run.state.name) == ("PAUSED", title)
        assert tag in run.tags and "workflow:micro_wish" in run.tags and f"community:{world['ca']}" in run.tags
    walk.act("res_a", "evaluate", {"rating": 5})
    assert walk.state() == "rated"  # the award waits for Prefect
    relay.deliver(factory, client)
    run = _run(client, walk.demand_id)
    assert run.state.type.value == "SCHEDULED"
    final = _execute(client, run)
    assert (final.type.value, final.name) == ("COMPLETED", "已完成")
    assert walk.state() == "done" and walk.balance("mem1") == 17
    lifecycle.demand_lifecycle(walk.demand_id)  # running it again changes nothing
    assert walk.balance("mem1") == 17 and walk.ledger_ok() == []
    relay.deliver(factory, client)
    assert _run(client, walk.demand_id) is None  # finished demands have no live run


def test_a_remembered_deployment_that_has_gone_is_looked_up_again(wired, factory, monkeypatch):
    """The relay keeps each version's deployment id (one call a run instead of two); an id the
    server no longer knows (deleted, made again) costs one lookup, not a lost change."""
    import uuid

    world, client = wired
    monkeypatch.setattr(relay, "_DEPLOYMENTS", {})
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "记住的部署"})
    assert relay.deliver(factory, client) == {"delivered": 1, "failed": 0}
    (key, real), = relay._DEPLOYMENTS.items()
    relay._DEPLOYMENTS[key] = uuid.uuid4()  # as if the deployment had been deleted and made again
    other = Walker(factory, world)
    other.start("res_a", "micro_wish", {"title": "部署换了编号"})
    assert relay.deliver(factory, client) == {"delivered": 1, "failed": 0}
    assert relay._DEPLOYMENTS[key] == real
    assert (_run(client, other.demand_id).state.name, _run(client, walk.demand_id).state.name) == ("待审核", "待审核")


def test_a_pass_reads_several_demands_runs_at_once_and_each_run_gets_its_own(wired, factory, monkeypatch):
    """With more demands than threads, one read fetches a few demands' runs: each run is still
    made to match its own demand. A delivery that changes nothing (the same row again) leaves
    the run as it was: no call that renames, retags or re-pauses it."""
    world, client = wired
    monkeypatch.setenv("YIJIA_RELAY_SYNC_THREADS", "1")  # 11 demands: reads of 8 and 3
    get_settings.cache_clear()
    walks = [Walker(factory, world) for _ in range(11)]
    for i, walk in enumerate(walks):
        walk.start("res_a", "micro_wish", {"title": f"一起读 {i}"})
    assert relay.deliver(factory, client) == {"delivered": 11, "failed": 0}
    for walk in walks[::2]:
        walk.act("cadm_a", "publish")
    assert relay.deliver(factory, client) == {"delivered": 6, "failed": 0}
    runs = relay.live_runs(client, [w.demand_id for w in walks])
    assert set(runs) == {w.demand_id for w in walks}
    for i, walk in enumerate(walks):
        run = runs[walk.demand_id]
        assert run.name == f"微心愿 #{walk.demand_id} · 旭日社区"
        assert run.state.name == ("待认领" if i % 2 == 0 else "待审核")
        assert ("step:claim" if i % 2 == 0 else "step:publish") in run.tags
    with factory() as s:  # every row of the first demand delivered again
        s.execute(update(Outbox).where(Outbox.demand_id == walks[0].demand_id).values(delivered_at=None))
        s.commit()
    assert relay.deliver(factory, client) == {"delivered": 2, "failed": 0}
    again = relay.live_run(client, walks[0].demand_id)
    assert (again.id, again.updated, again.state.id) == (runs[walks[0].demand_id].id, runs[walks[0].demand_id].updated,
                                                         runs[walks[0].demand_id].state.id)


def test_the_automation_sync_sees_every_page_of_a_crowded_server(wired, factory):
    """The server answers 200 automations a read; with more before ours (other databases on a
    shared server, sorted by name), a sync that saw one page would make ours again each time."""
    from prefect.events.schemas.automations import AutomationCore

    from flows.orchestration import automations

    world, client = wired
    mine = sorted(a.name for a in automations.ours(client))
    assert mine
    model = automations.ours(client)[0]
    for i in range(paging.PAGE + 1):  # named to sort before ours ("yijia:0…" < "yijia:test-…")
        client.create_automation(AutomationCore(**{**model.model_dump(include=set(AutomationCore.model_fields)),
                                                   "name": f"yijia:0-other-{os.getpid()}:{i:03d}", "enabled": False}))
    with factory() as s:
        assert worker.sync_automations(s) == {"created": 0, "deleted": 0, "kept": len(mine)}
    assert sorted(a.name for a in automations.ours(client)) == mine
    others = [a for offset in (0, paging.PAGE) for a in client.read_automations(limit=paging.PAGE, offset=offset)
              if a.name.startswith(f"yijia:0-other-{os.getpid()}:")]
    assert len(others) == paging.PAGE + 1
    for a in others:
        client.delete_automation(a.id)


WALKS = {
    "micro_wish": [("res_a", "start", {"title": "给独居老人修灯"}), ("cadm_a", "publish", {}), ("mem1", "claim", {}),
                   ("mem1", "serve", {"hours": 2, "note": "换灯泡"}), ("res_a", "evaluate", {"rating": 5})],
    "env_cleanup": [("cadm_a", "start", {"title": "楼道清理", "description": "清理杂物", "place": "广场",
                                        "starts_at": (NOW + timedelta(days=2)).isoformat(),
                                        "ends_at": (NOW + timedelta(days=2, hours=3)).isoformat(), "capacity": 2}),
                    ("cadm_a", "publish", {}), ("orgadm1", "grab", {}), ("mem1", "sign_up", {}),
                    ("cadm_a", "begin", {}), ("mem1", "sign_in", {}), ("mem1", "sign_out", {}),
                    ("cadm_a", "finish", {}), ("cadm_a", "evaluate", {"rating": 5})],
    "volunteer": [("cadm_a", "start", {"title": "每周探访", "description": "上门探访", "capacity": 3}),
                  ("mem1", "join", {}), ("mem1", "report", {"hours": 2, "note": "探访"}), ("cadm_a", "settle", {})],
    "appointment": [("res_a", "start", {"title": "老人理发"}), ("cadm_a", "assign", {"assignee": "mem1"}),
                    ("mem1", "serve", {"hours": 1}), ("res_a", "evaluate", {"rating": 4})],
}


@pytest.mark.parametrize("task_type", list(WALKS))
def test_every_workflow_walked_with_its_run_checked_after_each_step(wired, factory, task_type):
    """After each action: the run is paused under the demand's state with the step it waits for
    as a tag; scheduled when automated work is due (and then run by Prefect's engine); finished
    with the final state when the demand is done."""
    from flows.orchestration.naming import waiting_for
    from flows.workflow import registry

    world, client = wired
    walk = Walker(factory, world)
    for user, step, data in WALKS[task_type]:
        data = {k: world[v] if k == "assignee" else v for k, v in data.items()}
        if step == "start":
            walk.start(user, task_type, data, slot=world["slot"] if task_type == "appointment" else None)
        else:
            late = step in ("begin", "sign_in", "sign_out", "finish") or (task_type, step) == ("appointment", "serve")
            walk.act(user, step, data, now=NOW + timedelta(days=2, hours=1) if late else NOW)
        assert relay.deliver(factory, client)["failed"] == 0
        run = _run(client, walk.demand_id)
        with factory() as s:
            demand = s.get(Demand, walk.demand_id)
            workflow = registry.load(s, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
            if workflow.auto_step_from(demand.state):
                assert run.state.type.value == "SCHEDULED", (step, run.state)
                final = _execute(client, run)
                s.expire_all()
                demand = s.get(Demand, walk.demand_id)
                assert final.name == workflow.state_title(demand.state)
                run = _run(client, walk.demand_id)
            if workflow.is_terminal(demand.state):
                assert run is None, (step, run.state)
                continue
            assert (run.state.type.value, run.state.name) == ("PAUSED", workflow.state_title(demand.state)), step
            assert f"step:{waiting_for(workflow, demand)}" in run.tags
    assert walk.state() == "done" and walk.ledger_ok() == []


def test_server_away_then_back_delivers_each_change_once(wired, factory):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, PREFECT_CLIENT_MAX_RETRIES, temporary_settings

    world, client = wired
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "服务器停机时的心愿"})
    walk.act("cadm_a", "publish")
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api", PREFECT_CLIENT_MAX_RETRIES: 0}):
        with get_client(sync_client=True) as away:
            result = relay.deliver(factory, away)
    assert result["delivered"] == 0 and result["failed"] >= 2
    with factory() as s:
        pending = s.scalars(select(Outbox).where(Outbox.demand_id == walk.demand_id)).all()
        assert all(o.delivered_at is None and o.attempts == 1 and o.last_error for o in pending)
    assert relay.deliver(factory, client)["failed"] == 0
    with factory() as s:  # a relay that died after the API call but before marking: replayed
        s.execute(update(Outbox).where(Outbox.demand_id == walk.demand_id).values(delivered_at=None))
        s.commit()
    relay.deliver(factory, client)
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags

    from flows.orchestration.naming import instance_tag

    runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
        tags=FlowRunFilterTags(all_=[f"demand:{walk.demand_id}", instance_tag()])))
    assert len(runs) == 1 and runs[0].state.name == "待认领"
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Outbox).where(Outbox.delivered_at.is_(None))) == 0


def test_crash_mid_award_credits_once(wired, factory, monkeypatch):
    world, client = wired
    walk = Walker(factory, world).rated_wish("奖励途中崩溃", rating=4)
    real_award, calls = effects.award, []

    def dies_once(*args, **kwargs):
        credited = real_award(*args, **kwargs)  # the posting is written...
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("worker lost its database mid-award")  # ...and the transaction dies
        return credited

    monkeypatch.setattr(effects, "award", dies_once)
    monkeypatch.setattr(lifecycle.run_automated_steps, "retry_delay_seconds", 0)
    relay.deliver(factory, client)
    final = _execute(client, _run(client, walk.demand_id))
    assert final.type.value == "COMPLETED" and len(calls) == 2  # retried by Prefect
    assert walk.balance("mem1") == 12  # round((10 + 2 × 1h) × 1), once
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Posting).where(Posting.demand_id == walk.demand_id)) == 1
        assert ledger.check(s) == []


def test_sla_policies_tags_and_artifact(wired, factory):
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    world, client = wired
    waiting = Walker(factory, world)
    waiting.start("res_a", "micro_wish", {"title": "没人审核的心愿"}, now=NOW - timedelta(days=5))
    rated = Walker(factory, world)
    rated.start("res_a", "micro_wish", {"title": "居民忘了评价"}, now=NOW - timedelta(days=20))
    for step in [("cadm_a", "publish", {}), ("mem1", "claim", {}), ("mem1", "serve", {"hours": 1, "note": "好"})]:
        rated.act(*step, now=NOW - timedelta(days=20))
    relay.deliver(factory, client)
    stuck = lifecycle.monitor_stuck()
    assert stuck >= 1
    with factory() as s:
        assert s.get(Demand, waiting.demand_id).escalated_at is not None  # escalate
        assert s.get(Demand, rated.demand_id).state == "rated"  # complete_with: rated 5 by the system
    run = _run(client, waiting.demand_id)
    assert "overdue" in run.tags and f"overdue:district:{world['d1']}" in run.tags
    assert run.state.name == "待审核 · 超时"
    artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["stuck-demands"])))
    rows = [row for a in artifacts for row in json.loads(a.data)]
    mine = [row for row in rows if row.get("需求") == f"#{waiting.demand_id} 微心愿"]  # no resident's words
    assert mine and mine[0]["处理人"] == "社区管理员 · 旭日社区" and mine[0]["运行"].endswith(str(run.id))
    page = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(
        any_=[f"stuck-demands-{get_settings().instance}-d{world['d1']}"])))
    assert page and f"#{waiting.demand_id} 微心愿" in page[0].data and "社区管理员 · 旭日社区" in page[0].data
    assert "没人审核的心愿" not in page[0].data
    walk_on = Walker(factory, world)  # the mark leaves with the stay: tags and state name follow
    walk_on.demand_id = waiting.demand_id
    walk_on.act("cadm_a", "publish")
    relay.deliver(factory, client)
    run = _run(client, waiting.demand_id)
    assert "overdue" not in run.tags and run.state.name == "待认领"


def test_reconciler_replaces_a_lost_run_and_finishes_stale_ones(wired, factory):
    world, client = wired
    lost = Walker(factory, world)
    lost.start("res_a", "micro_wish", {"title": "丢了运行记录的心愿"})
    stale = Walker(factory, world)
    stale.start("res_a", "micro_wish", {"title": "已撤回的心愿"})
    relay.deliver(factory, client)
    client.delete_flow_run(_run(client, lost.demand_id).id)
    stale.act("res_a", "cancel")
    with factory() as s:  # its outbox row never made it: the reconciler must notice on its own
        s.execute(update(Outbox).where(Outbox.demand_id == stale.demand_id).values(delivered_at=NOW))
        s.commit()
    counts = lifecycle.reconcile_runs()
    assert counts.get("created", 0) >= 1 and counts.get("finished", 0) >= 1
    assert _run(client, lost.demand_id).state.name == "待审核"
    assert _run(client, stale.demand_id) is None


def test_reconciler_passes_look_at_changes_and_sweep_when_a_run_goes_missing(wired, factory):
    """After the first pass, one that agrees with Prefect visits only what changed; a run
    deleted from an unchanged demand makes the counts disagree, and that pass sweeps."""
    world, client = wired
    quiet, busy = Walker(factory, world), Walker(factory, world)
    quiet.start("res_a", "micro_wish", {"title": "没人动的心愿"})
    busy.start("res_a", "micro_wish", {"title": "有人审核的心愿"})
    relay.deliver(factory, client)
    first = lifecycle.reconcile_runs()
    assert first["swept"] == 1
    busy.act("cadm_a", "publish")
    relay.deliver(factory, client)
    later = lifecycle.reconcile_runs()
    assert later["swept"] == 0 and later["visited"] == 1 and later.get("created", 0) == 0
    client.delete_flow_run(_run(client, quiet.demand_id).id)
    found = lifecycle.reconcile_runs()
    assert found["swept"] == 1 and found["created"] == 1
    assert _run(client, quiet.demand_id).state.name == "待审核"


def test_sla_automation_fires_for_the_demand_left_waiting(wired, factory):
    """The proactive automation, on a real server's trigger service: no answer within the
    window → a `sla-timeout` run for that demand, named for it; an answered demand gets none."""
    import time
    from datetime import datetime

    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName
    from prefect.flow_engine import run_flow_sync

    world, client = wired
    with factory() as s:
        assert worker.sync_automations(s, sla_window=timedelta(seconds=10))["created"] >= 5
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    waiting, answered = Walker(factory, world), Walker(factory, world)
    waiting.start("res_a", "micro_wish", {"title": "等了三天的心愿"}, now=three_days_ago)
    answered.start("res_a", "micro_wish", {"title": "当天就审核的心愿"}, now=three_days_ago)
    answered.act("cadm_a", "publish", now=three_days_ago)
    assert relay.deliver(factory, client)["failed"] == 0  # runs synced, events sent
    deployment = client.read_deployments(deployment_filter=DeploymentFilter(
        name=DeploymentFilterName(any_=["sla-timeout"])))[0]

    def timeout_runs(step="publish"):
        """The first timeout run per demand for `step` (a proactive trigger fires again each
        window until the demand's next event arrives; the policy is idempotent)."""
        runs = client.read_flow_runs(deployment_filter=DeploymentFilter(id={"any_": [deployment.id]}),
                                     sort="EXPECTED_START_TIME_ASC")
        found = {}
        for r in runs:
            if r.parameters["step"] == step and int(r.parameters["demand_id"]) in (waiting.demand_id,
                                                                                  answered.demand_id):
                found.setdefault(int(r.parameters["demand_id"]), r)
        return found

    deadline = time.monotonic() + 60
    while waiting.demand_id not in timeout_runs() and time.monotonic() < deadline:
        time.sleep(1)
    found = timeout_runs()
    assert waiting.demand_id in found, "the automation did not fire within 60 s"
    run = found[waiting.demand_id]
    assert run.parameters["step"] == "publish"
    state = run_flow_sync(lifecycle.sla_timeout, flow_run=run,
                          parameters=lifecycle.sla_timeout.validate_parameters(run.parameters), return_type="state")
    assert state.type.value == "COMPLETED" and state.result() == "escalate"
    assert client.read_flow_run(run.id).name == f"超时 · 微心愿 #{waiting.demand_id} · 旭日社区 · 审核发布"
    with factory() as s:
        assert s.get(Demand, waiting.demand_id).escalated_at is not None
        assert s.get(Demand, answered.demand_id).escalated_at is None
    assert answered.demand_id not in timeout_runs()


def test_relay_hands_scheduled_runs_to_the_in_process_executor(wired, factory):
    """The award runs at once in the worker's own process, through Prefect's engine, once."""
    from flows.orchestration.executor import InProcessExecutor

    world, client = wired
    walk = Walker(factory, world).rated_wish("当场记分", rating=5)
    executor, handed = InProcessExecutor(), []

    def submit(run_id):
        handed.append(run_id)
        executor.submit(run_id)
        executor.submit(run_id)  # handed twice (two passes): still run once

    relay.deliver(factory, client, on_scheduled=submit)
    executor.shutdown()
    assert len(handed) == 1 and walk.state() == "done" and walk.balance("mem1") == 14  # round(12 × 1.2), once
    run = client.read_flow_run(handed[0])
    assert (run.state.type.value, run.state.name) == ("COMPLETED", "已完成")
    assert walk.ledger_ok() == []


def test_a_version_published_while_the_worker_runs_is_served_without_a_restart(wired, factory):
    """A district publishes from the console at any hour: before the relay creates the first run
    on the new version, the worker registers its deployment and re-syncs the SLA automations."""
    from flows.orchestration import automations
    from flows.orchestration.naming import deployment_name
    from flows.workflow import registry
    from schemas.settings import ROOT

    world, client = wired
    with factory() as s:
        versions = worker.NewVersions(set(worker._versions(s)))
        assert versions.refresh(s) == []  # nothing new: no registration, no automation churn
    source = (ROOT / "workflows" / "micro_wish.yaml").read_text("utf-8")
    with factory() as s:
        row = registry.publish(s, source.replace("sla: {within: 2d, then: escalate}",
                                                 "sla: {within: 1d, then: escalate}"), "edited.yaml")
        s.commit()
        new = (row.workflow_id, row.version)
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "新版本上的心愿"})
    with factory() as s:
        assert s.get(Demand, walk.demand_id).workflow_version == new[1]
        assert versions.refresh(s) == [new]
        assert versions.refresh(s) == []
    assert relay.deliver(factory, client)["failed"] == 0
    run = _run(client, walk.demand_id)
    assert client.read_deployment(run.deployment_id).name == deployment_name(*new)
    names = {a.name for a in automations.ours(client)}
    assert f"{automations.prefix()}{new[0]}-v{new[1]}:publish" in names
