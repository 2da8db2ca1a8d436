"""A form sent twice — the back button and submit, a double tap, two parallel posts — is done
once, and the second answer is the first outcome. Real threads on the real database; the CI
PostgreSQL pass runs them where SQLite's serialised writers cannot hide a race."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from sqlalchemy import func, select

from flows import engine
from flows.core.db import make_engine, make_sessionmaker
from flows.core.refusals import Refused
from flows.engine.outcomes import Outcome
from flows.points import ledger
from schemas.tables import Demand, Event, ServiceRecord
from tests.flows.walker import Walker
from tests.world import NOW, build_world

SENDS = 8


@pytest.fixture
def world(factory):
    return build_world(factory)


@pytest.fixture
def wide(db_url):
    engine_ = make_engine(db_url, pool_size=SENDS, max_overflow=4, pool_timeout=60)
    yield make_sessionmaker(engine_)
    engine_.dispose()


def _together(factory, send, n=SENDS):
    """`send(session)` n times at once; returns the results (outcomes or refusals)."""
    barrier = Barrier(n)

    def one(_):
        barrier.wait(timeout=30)
        with factory() as s:
            try:
                return send(s)
            except Refused as exc:
                return exc

    with ThreadPoolExecutor(max_workers=n) as pool:
        # a deadlock fails the test instead of hanging the run
        return [f.result(timeout=120) for f in [pool.submit(one, i) for i in range(n)]]


def _volunteer_item(factory, world) -> Walker:
    walk = Walker(factory, world)
    walk.start("cadm_a", "volunteer", {"title": "每周探访", "description": "上门探访", "capacity": 3})
    walk.act("mem1", "join")
    return walk


def test_service_hours_sent_in_parallel_are_counted_once(factory, world, wide):
    """2 h sent eight times at once: 2 h recorded, one event, and settling pays for 2 h."""
    walk = _volunteer_item(factory, world)
    results = _together(wide, lambda s: engine.act(s, world["mem1"], walk.demand_id, "report",
                                                   {"hours": 2, "note": "探访"}, now=NOW, request_key="report-k1"))
    assert all(isinstance(r, Outcome) for r in results), [r for r in results if not isinstance(r, Outcome)]
    assert sum(not r.replayed for r in results) == 1
    assert len({r.event_id for r in results}) == 1
    assert all(r.message() == "已提交过，未重复处理（记录服务）" for r in results if r.replayed)
    with factory() as s:
        assert s.scalar(select(ServiceRecord.hours).where(ServiceRecord.demand_id == walk.demand_id)) == 2
        assert s.scalar(select(func.count()).select_from(Event).where(Event.demand_id == walk.demand_id,
                                                                      Event.step == "report")) == 1
    walk.act("cadm_a", "settle")
    assert walk.balance("mem1") == 10  # 5 points per hour × 2 h, not × 6 h


def test_a_replay_after_the_demand_moved_on_answers_the_first_outcome(factory, world):
    """Back button + submit after the wish was served: no second service, no 'wrong state'."""
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "修灯"})
    walk.act("cadm_a", "publish")
    walk.act("mem1", "claim")
    with factory() as s:
        first = engine.act(s, world["mem1"], walk.demand_id, "serve", {"hours": 2, "note": "换灯"}, now=NOW,
                           request_key="serve-k")
    with factory() as s:
        again = engine.act(s, world["mem1"], walk.demand_id, "serve", {"hours": 5, "note": "又一次"}, now=NOW,
                           request_key="serve-k")
    assert (again.replayed, again.event_id, again.to_state) == (True, first.event_id, "served")
    assert again.message("en") == "Already submitted; nothing was done again (完成服务)"
    with factory() as s:
        assert s.scalar(select(ServiceRecord.hours).where(ServiceRecord.demand_id == walk.demand_id)) == 2


def test_a_key_is_the_senders_own(factory, world):
    """Another person's key never returns their outcome: keys are scoped by who sends them."""
    walk = _volunteer_item(factory, world)
    walk.act("mem2", "join")
    with factory() as s:
        mine = engine.act(s, world["mem1"], walk.demand_id, "report", {"hours": 1, "note": "a"}, now=NOW,
                          request_key="same-key")
    with factory() as s:
        theirs = engine.act(s, world["mem2"], walk.demand_id, "report", {"hours": 1, "note": "b"}, now=NOW,
                            request_key="same-key")
    assert not theirs.replayed and theirs.event_id != mine.event_id


def test_a_wish_posted_twice_is_one_wish(factory, world, wide):
    """Two parallel posts and a later resubmission of the same form make one demand."""
    def post(s):
        return engine.start(s, world["res_a"], world["tt_micro_wish"], {"title": "买药"}, community_id=world["ca"],
                            now=NOW, request_key="wish-form-1")

    results = _together(wide, post, n=4)
    with factory() as s:
        later = post(s)
    assert all(isinstance(r, Outcome) for r in results)
    assert len({r.demand_id for r in [*results, later]}) == 1 and later.replayed
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Demand).where(Demand.title == "买药")) == 1


def test_without_a_key_nothing_changes(factory, world):
    """Callers that send no key (the console, the demo) keep the engine's old answers."""
    walk = _volunteer_item(factory, world)
    walk.act("mem1", "report", {"hours": 1, "note": "a"})
    walk.act("mem1", "report", {"hours": 1, "note": "b"})
    with factory() as s:
        assert s.scalar(select(ServiceRecord.hours).where(ServiceRecord.demand_id == walk.demand_id)) == 2
        assert ledger.check(s) == []


def test_the_back_button_reloads_the_form_with_a_fresh_key_and_is_still_a_replay(factory, world):
    """The phone reloads the form page on back (its cookie changed), so the resent form has a new
    key but the values the person typed: the same values for the same step within ten minutes
    are the same form. Other values, or later, are new work."""
    from datetime import timedelta

    walk = _volunteer_item(factory, world)

    def report(key, hours, note, at):
        with factory() as s:
            return engine.act(s, world["mem1"], walk.demand_id, "report", {"hours": hours, "note": note}, now=at,
                              request_key=key)

    first = report("form-a", 2, "探访", NOW)
    assert report("form-b", 2, "探访", NOW + timedelta(minutes=3)).event_id == first.event_id
    assert not report("form-c", 1, "又去了一次", NOW + timedelta(minutes=4)).replayed
    assert not report("form-d", 2, "探访", NOW + timedelta(minutes=30)).replayed
    with factory() as s:
        assert s.scalar(select(ServiceRecord.hours).where(ServiceRecord.demand_id == walk.demand_id)) == 5
    with factory() as s:
        posted = [engine.start(s, world["res_a"], world["tt_micro_wish"], {"title": "修门"}, community_id=world["ca"],
                               now=NOW, request_key=key) for key in ("wish-a", "wish-b")]
    assert posted[1].replayed and posted[0].demand_id == posted[1].demand_id


def test_a_wish_started_twice_for_a_resident_is_one_wish(factory, world):
    """代办: the community admin's form sent again with a fresh key (the back button) is the same
    wish for the same resident; for another resident it is another wish."""
    from datetime import timedelta

    def for_(person, key, at=NOW):
        with factory() as s:
            return engine.start(s, world["cadm_a"], world["tt_micro_wish"], {"title": "代买药"},
                                community_id=world["ca"], on_behalf_of=world[person], now=at, request_key=key)

    first = for_("res_a", "behalf-1")
    again = for_("res_a", "behalf-2", NOW + timedelta(minutes=2))
    assert again.replayed and again.demand_id == first.demand_id
    other = for_("res_a2", "behalf-3", NOW + timedelta(minutes=3))
    assert not other.replayed and other.demand_id != first.demand_id
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Demand).where(Demand.title == "代买药")) == 2
