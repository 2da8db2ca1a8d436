"""The admins' forms sent many times at once do their work once: a resident registered for
代办 (one-time key), a participant's sign-in confirmed on the attendance sheet. Real threads
against the real database; run on PostgreSQL too, where SQLite's serialised writers hide nothing."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

import pytest
from sqlalchemy import func, select

from flows import engine
from flows.core.db import make_engine, make_sessionmaker
from flows.core.refusals import Refused
from flows.engine.outcomes import Outcome
from flows.people import behalf
from flows.people.actors import load_actor
from schemas.tables import Event, ServiceRecord, User
from tests.flows.walker import Walker
from tests.world import NOW, build_world

TIMES = 12


@pytest.fixture
def world(factory):
    return build_world(factory)


@pytest.fixture
def wide(db_url):
    engine_ = make_engine(db_url, pool_size=TIMES, max_overflow=4, pool_timeout=60)
    yield make_sessionmaker(engine_)
    engine_.dispose()


def _at_once(work, times: int = TIMES) -> list:
    barrier = Barrier(times)

    def one(_):
        barrier.wait(timeout=30)
        try:
            return work()
        except Refused as exc:
            return exc

    with ThreadPoolExecutor(max_workers=times) as pool:
        # a deadlock fails the test instead of hanging the run
        return [f.result(timeout=120) for f in [pool.submit(one, n) for n in range(times)]]


@pytest.mark.parametrize("round_", range(2))
def test_one_resident_for_one_form_sent_at_once(world, factory, wide, round_):
    with factory() as s:
        admin = load_actor(s, world["cadm_a"])

    def register():
        with wide() as s:
            return behalf.register_resident(s, admin, world["ca"], "李奶奶", request_key=f"form-{round_}").id

    ids = _at_once(register)
    assert len(set(ids)) == 1 and all(isinstance(i, int) for i in ids), ids
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(User).where(User.display_name == "李奶奶")) == 1
        assert s.scalar(select(func.count()).select_from(Event).where(Event.subject == "users")) == 1


def test_one_sign_in_confirmed_for_many_taps(world, factory, wide):
    walk = Walker(factory, world).recruiting_activity("助老", 3, NOW + timedelta(hours=1))
    walk.act("cadm_a", "begin")

    def confirm():
        with wide() as s:
            return engine.act(s, world["cadm_a"], walk.demand_id, "sign_in", {}, on_behalf_of=world["mem1"],
                              now=NOW + timedelta(hours=1))

    results = _at_once(confirm)
    assert sum(isinstance(r, Outcome) for r in results) == 1
    assert sorted({r.code for r in results if isinstance(r, Refused)}) == ["already_signed_in"]
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(ServiceRecord)
                        .where(ServiceRecord.signed_in_at.is_not(None))) == 1
        assert s.scalar(select(func.count()).select_from(Event).where(Event.demand_id == walk.demand_id,
                                                                      Event.step == "sign_in")) == 1
