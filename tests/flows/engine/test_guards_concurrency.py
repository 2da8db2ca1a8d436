"""Guards that read other rows hold under concurrency: the same member signing up for two
overlapping activities at the same moment ends up in one of them, never both. Real threads on
the real database; the CI PostgreSQL pass is where it counts."""
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
from schemas.tables import Claim, ClaimStatus
from tests.flows.walker import Walker
from tests.world import NOW, add_members, build_world

MEMBERS = 20


@pytest.fixture
def members(db_url, factory):
    """The world plus MEMBERS members of org1 registered with community A; a wide pool."""
    world = build_world(factory)
    ids = add_members(factory, world, "busy", MEMBERS)
    wide = make_engine(db_url, pool_size=2 * MEMBERS, max_overflow=10, pool_timeout=60)
    yield world, ids, make_sessionmaker(wide)
    wide.dispose()


def _activity(factory, world, title, starts_at):
    walk = Walker(factory, world)
    walk.start("cadm_a", "env_cleanup", {"title": title, "description": "d", "place": "p", "capacity": 50,
                                         "starts_at": starts_at.isoformat(),
                                         "ends_at": (starts_at + timedelta(hours=3)).isoformat()})
    walk.act("cadm_a", "publish")
    walk.act("orgadm1", "grab")
    return walk.demand_id


@pytest.mark.parametrize("round_", range(2))
def test_no_member_holds_two_overlapping_sign_ups(members, factory, round_):
    world, ids, wide = members
    start = NOW + timedelta(days=30 + round_)
    first = _activity(factory, world, f"上午的活动 {round_}", start)
    second = _activity(factory, world, f"重叠的活动 {round_}", start + timedelta(hours=1))
    jobs = [(user, demand) for user in ids for demand in (first, second)]
    barrier = Barrier(len(jobs))

    def one(job):
        user, demand = job
        barrier.wait(timeout=60)
        with wide() as s:
            try:
                return engine.act(s, user, demand, "sign_up", {}, now=NOW)
            except Refused as exc:
                return exc

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        # a deadlock or a hung lock fails the test instead of hanging the run
        results = [f.result(timeout=120) for f in [pool.submit(one, job) for job in jobs]]
    errors = [r for r in results if not isinstance(r, (Outcome, Refused))]
    codes = [r.code for r in results if isinstance(r, Refused)]
    assert errors == [] and set(codes) <= {"guard.no_time_clash"}
    assert sum(isinstance(r, Outcome) for r in results) == MEMBERS
    with factory() as s:
        held = dict(s.execute(select(Claim.user_id, func.count()).where(
            Claim.demand_id.in_([first, second]), Claim.status == ClaimStatus.ACTIVE, Claim.user_id.in_(ids))
            .group_by(Claim.user_id)).all())
    assert held == dict.fromkeys(ids, 1), "a member holds both overlapping activities"
