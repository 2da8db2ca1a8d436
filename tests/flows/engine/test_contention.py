"""Many people grabbing at once: one winner for a one-slot grab, never more than capacity
for sign-ups, every loser told plainly. Real threads against the real database; run on
PostgreSQL in CI, where SQLite's serialised writers cannot hide a race."""
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
from schemas.tables import Claim, Demand, RegistrationStatus, Role, RoleGrant, User
from tests.flows.walker import Walker
from tests.world import NOW, add_members, build_world

CLIENTS = 100


@pytest.fixture
def crowd(db_url, factory):
    """The world plus CLIENTS members of org1 registered with community A; a wide pool."""
    world = build_world(factory)
    ids = add_members(factory, world, "crowd", CLIENTS)
    wide = make_engine(db_url, pool_size=20, max_overflow=30, pool_timeout=60)
    yield world, ids, make_sessionmaker(wide)
    wide.dispose()


def _storm(factory, users, demand_id, step):
    """All users do `step` at once; returns (outcomes, refusal codes, other errors)."""
    barrier = Barrier(len(users))

    def one(user_id):
        barrier.wait(timeout=30)
        with factory() as s:
            try:
                return engine.act(s, user_id, demand_id, step, {}, now=NOW)
            except Refused as exc:
                return exc

    with ThreadPoolExecutor(max_workers=len(users)) as pool:
        # A deadlock or a hung lock fails the test instead of hanging the run.
        results = [f.result(timeout=120) for f in [pool.submit(one, u) for u in users]]
    wins = [r for r in results if isinstance(r, Outcome)]
    codes = [r.code for r in results if isinstance(r, Refused)]
    return wins, codes, [r for r in results if not isinstance(r, (Outcome, Refused))]


@pytest.mark.parametrize("round_", range(3))
def test_one_winner(crowd, factory, round_):
    world, ids, wide = crowd
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": f"修灯 {round_}"})
    walk.act("cadm_a", "publish")
    wins, codes, errors = _storm(wide, ids, walk.demand_id, "claim")
    assert len(wins) == 1 and errors == []
    assert codes == ["taken"] * (CLIENTS - 1)
    with factory() as s:
        demand = s.get(Demand, walk.demand_id)
        assert (demand.state, demand.taken) == ("claimed", 1)
        assert s.scalar(select(func.count()).select_from(Claim).where(Claim.demand_id == demand.id)) == 1


@pytest.mark.parametrize("round_", range(2))
def test_capacity_never_exceeded(crowd, factory, round_):
    world, ids, wide = crowd
    walk = Walker(factory, world)
    start = NOW + timedelta(days=10 + round_)
    walk.start("cadm_a", "env_cleanup", {"title": "清雪", "description": "d", "place": "p", "capacity": 7,
                                         "starts_at": start.isoformat(),
                                         "ends_at": (start + timedelta(hours=2)).isoformat()})
    walk.act("cadm_a", "publish")
    walk.act("orgadm1", "grab")
    wins, codes, errors = _storm(wide, ids[:60], walk.demand_id, "sign_up")
    assert len(wins) == 7 and errors == []
    assert set(codes) == {"full"}
    with factory() as s:
        assert s.get(Demand, walk.demand_id).taken == 7
        assert s.scalar(select(func.count()).select_from(Claim).where(Claim.demand_id == walk.demand_id,
                                                                     Claim.user_id.is_not(None))) == 7


def test_one_org_wins_the_grab(crowd, factory):
    """Two organisations' admins tap 一键抢单 at the same moment."""
    world, _, wide = crowd
    with factory() as s, s.begin():
        from schemas.tables import Organisation, OrgRegistration

        orgs = [Organisation(name=f"单位{i}党支部", work_unit=f"单位{i}", district_id=world["d1"]) for i in range(20)]
        s.add_all(orgs)
        s.flush()
        admins = []
        for org in orgs:
            s.add(OrgRegistration(org_id=org.id, community_id=world["ca"], status=RegistrationStatus.APPROVED))
            admin = User(username=f"adm{org.id}", display_name="书记", password_hash="x")
            admin.grants = [RoleGrant(role=Role.ORG_ADMIN, org_id=org.id)]
            s.add(admin)
            s.flush()
            admins.append(admin.id)
    walk = Walker(factory, world)
    start = NOW + timedelta(days=20)
    walk.start("cadm_a", "env_cleanup", {"title": "植树", "description": "d", "place": "p", "capacity": 5,
                                         "starts_at": start.isoformat(),
                                         "ends_at": (start + timedelta(hours=2)).isoformat()})
    walk.act("cadm_a", "publish")
    wins, codes, errors = _storm(wide, admins, walk.demand_id, "grab")
    assert len(wins) == 1 and errors == [] and codes == ["taken"] * 19
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Claim).where(Claim.demand_id == walk.demand_id)) == 1
