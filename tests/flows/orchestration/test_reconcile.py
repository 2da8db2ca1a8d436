"""The reconciler's pass: what changed since the last one and what is due; a sweep of the open
work when the counts disagree; never the finished history (flows/orchestration/reconcile.py).
The same passes against a real Prefect server are in test_prefect.py."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, update

from flows.orchestration import reconcile
from schemas.tables import Outbox
from tests.flows.walker import Walker
from tests.world import NOW, build_world


@pytest.fixture
def world(factory):
    return build_world(factory)


def _walk(factory, world, title: str, *steps: tuple[str, str]) -> int:
    walker = Walker(factory, world)
    walker.start("res_a", "micro_wish", {"title": title})
    for user, step in steps:
        walker.act(user, step)
    return walker.demand_id


def _delivered(factory) -> None:
    with factory() as s:
        s.execute(update(Outbox).values(delivered_at=NOW))
        s.commit()


def test_a_sweep_visits_going_on_demands_and_live_runs_only(factory, world):
    going_on = _walk(factory, world, "待审核的心愿")
    published = _walk(factory, world, "待认领的心愿", ("cadm_a", "publish"))
    finished = [_walk(factory, world, f"撤回的心愿{i}", ("res_a", "cancel")) for i in range(5)]
    left_with_a_run = finished[0]
    live = {going_on, left_with_a_run}
    with factory() as s:
        seen = {c.demand_id: c for c in reconcile.going_on_and(s, live)}
    assert set(seen) == {going_on, published, left_with_a_run}  # four finished demands never read
    assert not seen[going_on].terminal and seen[left_with_a_run].terminal
    assert sorted(c.demand_id for c in seen.values() if reconcile.needs_sync(c, live)) == sorted(
        [published, left_with_a_run])  # no run yet; a finished one's run still going


def test_the_first_pass_sweeps_then_passes_look_at_changes_only(factory, world):
    first = _walk(factory, world, "一")
    _walk(factory, world, "二", ("res_a", "cancel"))
    _delivered(factory)
    with factory() as s:
        assert reconcile.count_going_on(s) == 1
        opening = reconcile.plan(s, live_runs=1, now=NOW)
        assert opening.sweep and opening.after == 0  # nothing marked yet
        reconcile.advance(s, opening, NOW)
    changed = _walk(factory, world, "三", ("cadm_a", "publish"))
    _delivered(factory)
    with factory() as s:
        later = reconcile.plan(s, live_runs=2, now=NOW + timedelta(minutes=5))
        assert not later.sweep and later.after == opening.up_to
        assert reconcile.changed(s, later) == [changed]  # not `first`, not the cancelled one
        reconcile.advance(s, later, NOW + timedelta(minutes=5))
        again = reconcile.plan(s, live_runs=2, now=NOW + timedelta(minutes=10))
        assert reconcile.changed(s, again) == [] and not again.sweep
    assert first != changed


def test_counts_that_disagree_beyond_the_changes_on_their_way_sweep(factory, world):
    _walk(factory, world, "一")
    _delivered(factory)
    with factory() as s:
        reconcile.advance(s, reconcile.plan(s, live_runs=1, now=NOW), NOW)
        assert reconcile.plan(s, live_runs=0, now=NOW).sweep  # a run went missing
        assert reconcile.plan(s, live_runs=2, now=NOW).sweep  # a finished demand kept its run
        assert not reconcile.plan(s, live_runs=1, now=NOW).sweep
        assert reconcile.plan(s, live_runs=1, now=NOW + reconcile.SWEEP_EVERY + timedelta(seconds=1)).sweep
    _walk(factory, world, "二")  # its outbox row is on its way: its run may not exist yet
    with factory() as s:
        assert not reconcile.plan(s, live_runs=1, now=NOW).sweep


def test_a_pass_reads_the_same_rows_whatever_the_finished_history(factory, world, engine):
    """The statements an incremental pass issues and the demands it visits are the same with 2
    finished demands or 12."""
    _walk(factory, world, "待审核的心愿")

    def one_pass() -> tuple[int, int]:
        statements = []

        def count(_conn, _cursor, statement, *_args):
            statements.append(statement)

        _delivered(factory)
        event.listen(engine, "before_cursor_execute", count)
        try:
            with factory() as s:
                this_pass = reconcile.plan(s, live_runs=reconcile.count_going_on(s), now=NOW)
                visited = reconcile.facts(s, reconcile.changed(s, this_pass))
                reconcile.advance(s, this_pass, NOW)
                return len(visited), len(statements)
        finally:
            event.remove(engine, "before_cursor_execute", count)

    one_pass()  # the first pass: everything is new to it
    for i in range(2):
        _walk(factory, world, f"撤回{i}", ("res_a", "cancel"))
    one_pass()
    small = one_pass()
    for i in range(10):
        _walk(factory, world, f"撤回更多{i}", ("res_a", "cancel"))
    one_pass()
    assert one_pass() == small and small[0] == 0
