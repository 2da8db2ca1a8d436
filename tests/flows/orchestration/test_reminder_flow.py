"""The worker sends reminders: a `send-reminders` deployment every minute, a thin flow over
`flows.engine.reminders.due` (its logic is tested in tests/flows/engine/test_reminders.py)."""
from __future__ import annotations

from datetime import timedelta

from flows.orchestration import lifecycle, worker
from tests.flows.walker import Walker
from tests.world import NOW, build_world


def test_the_worker_serves_send_reminders_every_minute(factory):
    build_world(factory)
    with factory() as s:
        served = {d.name: d for d in worker.deployments(s)}
    remind = served["remind"]
    assert remind.entrypoint.endswith("send_reminders") or "send_reminders" in str(remind.entrypoint)
    assert [s.schedule.interval for s in remind.schedules] == [timedelta(seconds=60)]


def test_the_flow_calls_the_domain_once_per_due_reminder(factory, monkeypatch):
    world = build_world(factory)
    start = NOW + timedelta(hours=20)  # signed up inside the confirmation window: nothing to confirm
    Walker(factory, world).recruiting_activity("包饺子", 3, start)
    monkeypatch.setattr(lifecycle, "sessions", lambda: factory)
    from flows.engine import reminders

    real = reminders.due
    monkeypatch.setattr(reminders, "due", lambda session: real(session, start - timedelta(hours=19)))
    assert lifecycle.send_reminders.fn() == {"remind": 1}
    assert lifecycle.send_reminders.fn() == {}
