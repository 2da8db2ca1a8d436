"""SLAs per step: the overdue mark belongs to the step and to the demand's stay in its state;
each overdue step escalates once, to the people responsible, who find it in their queue."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from flows import engine
from flows.engine import escalations, monitor
from flows.people.actors import load_actor
from schemas.tables import Demand, Escalation, Event
from tests.flows.walker import Walker
from tests.world import NOW, build_world


@pytest.fixture
def world(factory):
    return build_world(factory)


def _timeout(factory, walk, step, now):
    with factory() as s:
        return engine.apply_timeout(s, walk.demand_id, step, now=now)


def _queue(factory, world, user):
    with factory() as s:
        return [(o.demand_id, o.step) for o in escalations.escalated_to(s, load_actor(s, world[user]))]


def test_two_overdue_steps_in_one_demand_each_escalate_once(factory, world):
    posted = NOW - timedelta(days=10)
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "等审核又等认领"}, now=posted)

    assert _timeout(factory, walk, "publish", NOW) == "escalate"
    assert _timeout(factory, walk, "publish", NOW + timedelta(hours=1)) is None  # once per stay
    with factory() as s:
        demand = s.get(Demand, walk.demand_id)
        assert demand.escalated_at == NOW
        (first,) = escalations.current(s, demand)
        assert first.step == "publish" and first.due_at == posted + timedelta(days=2)
        # a community admin's step: its holders and the district above them
        assert first.targets == [{"role": "community_admin", "region_id": world["ca"]},
                                 {"role": "district_admin", "region_id": world["d1"]}]
    assert _queue(factory, world, "dadm1") == [(walk.demand_id, "publish")]
    assert _queue(factory, world, "cadm_b") == []

    walk.act("cadm_a", "publish", now=NOW + timedelta(hours=2))
    with factory() as s:
        demand = s.get(Demand, walk.demand_id)
        assert demand.escalated_at is None and escalations.current(s, demand) == []  # the mark left with the stay
    assert _queue(factory, world, "dadm1") == []

    assert _timeout(factory, walk, "claim", NOW + timedelta(days=1)) is None  # not due yet
    assert _timeout(factory, walk, "claim", NOW + timedelta(days=4)) == "escalate"
    assert _timeout(factory, walk, "claim", NOW + timedelta(days=5)) is None
    with factory() as s:
        rows = s.scalars(select(Escalation).where(Escalation.demand_id == walk.demand_id).order_by(Escalation.id)).all()
        assert [r.step for r in rows] == ["publish", "claim"]
        assert s.scalar(select(func.count()).select_from(Event).where(
            Event.demand_id == walk.demand_id, Event.step.like("%:overdue"))) == 2
    # nobody holds an unclaimed wish: the community is asked to find someone
    assert _queue(factory, world, "cadm_a") == [(walk.demand_id, "claim")]

    walk.act("mem1", "claim", now=NOW + timedelta(days=6))
    assert _timeout(factory, walk, "serve", NOW + timedelta(days=14)) == "escalate"
    assert _queue(factory, world, "mem1") == [(walk.demand_id, "serve")]  # the claimant is told, and
    assert _queue(factory, world, "cadm_a") == [(walk.demand_id, "serve")]  # the community above them
    assert _queue(factory, world, "mem2") == []


def test_an_escalation_for_a_stay_that_ended_is_not_written(factory, world):
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "刚好被审核"}, now=NOW - timedelta(days=3))
    with factory() as s:
        stale = s.get(Demand, walk.demand_id)  # read before the move...
    walk.act("cadm_a", "publish")
    with factory() as s:  # ...the policy applied afterwards finds a new stay: nothing to escalate
        assert engine.apply_timeout(s, stale.id, "publish", now=NOW) is None
        assert s.scalar(select(func.count()).select_from(Escalation)) == 0


def test_the_stuck_list_is_paged_complete_and_says_who_holds_each_case(factory, world):
    walks = []
    for n in range(7):
        walk = Walker(factory, world)
        walk.start("res_a", "micro_wish", {"title": f"心愿{n}"}, now=NOW - timedelta(days=10 - n))
        walks.append(walk)
    walks[0].act("cadm_a", "publish", now=NOW - timedelta(days=9))
    walks[0].act("mem1", "claim", now=NOW - timedelta(days=9))
    with factory() as s:
        assert monitor.count_overdue(s, NOW) == 7
        pages = [monitor.overdue(s, NOW, limit=3, offset=o) for o in (0, 3, 6)]
        assert [len(p) for p in pages] == [3, 3, 1]
        ids = [c.demand_id for p in pages for c in p]
        assert sorted(ids) == sorted(w.demand_id for w in walks) and len(set(ids)) == 7
        first = pages[0][0]
        assert (first.demand_id, first.step) == (walks[0].demand_id, "serve")
        assert [h.label(with_names=True) for h in first.holders] == ["认领人（mem1） · 财政局党支部"]
        assert [h.label() for h in first.holders] == ["认领人 · 财政局党支部"]  # what Prefect may show
        assert first.waited == timedelta(days=9)
        review = pages[0][1]
        assert [h.label() for h in review.holders] == ["社区管理员 · 旭日社区"]
        assert monitor.count_overdue(s, NOW, [f"/{world['city']}/{world['d2']}/"]) == 0


def test_parallel_monitors_escalate_a_step_once(db_url, factory, world):
    """The automation and the monitor (or two monitors) racing: one escalation, one event."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from flows.core.db import make_engine, make_sessionmaker

    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "大家都来提醒"}, now=NOW - timedelta(days=5))
    wide = make_engine(db_url, pool_size=10, max_overflow=5)
    sessions, barrier = make_sessionmaker(wide), Barrier(10)

    def one(_):
        barrier.wait(timeout=30)
        with sessions() as s:
            return engine.apply_timeout(s, walk.demand_id, "publish", now=NOW)

    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            results = [f.result(timeout=60) for f in [pool.submit(one, n) for n in range(10)]]
    finally:
        wide.dispose()
    assert results.count("escalate") == 1 and results.count(None) == 9
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Escalation)) == 1
        assert s.scalar(select(func.count()).select_from(Event).where(Event.step == "publish:overdue")) == 1


def test_a_step_its_start_holds_back_is_not_late_before_it_may_be_done(factory, world):
    """开始活动 opens a day before the start (`in_time_window`): an activity grabbed a month
    ahead is not 14 days late two weeks later, when nobody may begin it (the review); its SLA
    runs from the day before the start. The stuck list, the timeout and the queue agree."""
    start = NOW + timedelta(days=30)
    walk = Walker(factory, world).recruiting_activity("冬季清雪", 5, start)
    with factory() as s:
        assert walk.demand_id not in {c.demand_id for c in monitor.overdue(s, now=NOW + timedelta(days=15))}
    assert _timeout(factory, walk, "begin", NOW + timedelta(days=15)) is None
    due = start - timedelta(days=1) + timedelta(days=14)
    with factory() as s:
        assert walk.demand_id not in {c.demand_id for c in monitor.overdue(s, now=due - timedelta(minutes=1))}
        (case,) = [c for c in monitor.overdue(s, now=due + timedelta(minutes=1)) if c.demand_id == walk.demand_id]
        assert (case.step, case.due) == ("begin", due)
    assert _timeout(factory, walk, "begin", due + timedelta(minutes=1)) == "escalate"
    with factory() as s:
        assert s.scalar(select(Escalation.due_at).where(Escalation.demand_id == walk.demand_id)) == due
