"""The fleet's shares, on the database alone: a demand's outbox rows with one worker at a time
(relay.take), and a duty's lease (fleet.hold). The same with real worker processes and a real
Prefect server is in test_fleet_processes.py."""
from __future__ import annotations

from datetime import timedelta

import pytest

from flows.orchestration import fleet
from flows.orchestration.relay import take
from tests.flows.walker import Walker
from tests.world import NOW, build_world

LEASE = timedelta(seconds=30)


@pytest.fixture
def world(factory):
    return build_world(factory)


def _demands(rows) -> set[int]:
    return {r.demand_id for r in rows}


def test_a_demands_rows_are_with_one_worker_at_a_time(factory, world):
    first, second = Walker(factory, world), Walker(factory, world)
    first.start("res_a", "micro_wish", {"title": "一"})
    second.start("res_a", "micro_wish", {"title": "二"})
    a = take(factory, "worker-a", 1, NOW, LEASE)  # the oldest demand only
    assert _demands(a) == {first.demand_id}
    first.act("cadm_a", "publish")  # a new row of the demand worker-a is delivering
    b = take(factory, "worker-b", 200, NOW, LEASE)
    assert _demands(b) == {second.demand_id}  # not the new row: its demand is worker-a's now
    assert take(factory, "worker-c", 200, NOW, LEASE) == []
    again = take(factory, "worker-a", 200, NOW, LEASE)  # worker-a's next take: its own, and the new row
    assert _demands(again) == {first.demand_id} and len(again) == 2


def test_a_dead_workers_rows_are_taken_over_when_its_lease_runs_out(factory, world):
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "一"})
    walk.act("cadm_a", "publish")
    assert len(take(factory, "dead", 200, NOW, LEASE)) == 2
    assert take(factory, "alive", 200, NOW + LEASE - timedelta(seconds=1), LEASE) == []
    taken = take(factory, "alive", 200, NOW + LEASE + timedelta(seconds=1), LEASE)
    assert len(taken) == 2 and _demands(taken) == {walk.demand_id}


def test_a_duty_is_one_workers_until_released_or_expired(factory):
    with factory() as s:
        assert fleet.hold(s, "monitor", "a", 60, NOW)
        assert fleet.hold(s, "monitor", "a", 60, NOW + timedelta(seconds=30))  # renewed
        assert not fleet.hold(s, "monitor", "b", 60, NOW + timedelta(seconds=80))  # renewal counts from 30 s
        assert fleet.hold(s, "monitor", "b", 60, NOW + timedelta(seconds=91))  # a's lease ran out
        fleet.release(s, "monitor", "b")
        assert fleet.hold(s, "monitor", "a", 60, NOW + timedelta(seconds=92))
        with fleet.duty(s, "reconcile-pass", "a", 60) as mine, fleet.duty(s, "reconcile-pass", "b", 60) as theirs:
            assert mine and not theirs
        with fleet.duty(s, "reconcile-pass", "b", 60) as theirs_now:
            assert theirs_now  # let go after the first
