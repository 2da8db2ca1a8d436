"""Residents earn points too (the report: members *and residents* join activities and
volunteer): the shipped workflows give a resident of the community a sign-up step, and the
points rule credits whoever served."""
from __future__ import annotations

from datetime import timedelta

import pytest

from flows.core.refusals import Refused
from flows.points import shop
from schemas.tables import ShopItem
from tests.flows.walker import Walker
from tests.world import NOW, build_world


@pytest.fixture
def world(factory):
    return build_world(factory)


def test_a_resident_volunteers_at_an_activity_and_spends_the_points(factory, world):
    start = NOW + timedelta(days=2)
    walk = Walker(factory, world)
    walk.start("cadm_a", "env_cleanup", {"title": "清理楼道", "description": "d", "place": "p", "capacity": 3,
                                         "starts_at": start.isoformat(),
                                         "ends_at": (start + timedelta(hours=2)).isoformat()})
    walk.act("cadm_a", "publish")
    walk.act("res_a", "volunteer")  # before any organisation grabbed it
    with pytest.raises(Refused) as elsewhere:
        walk.act("res_b", "volunteer")
    assert elsewhere.value.code == "scope"  # a resident of another community
    walk.act("orgadm1", "grab")
    walk.act("mem1", "sign_up")
    walk.act("cadm_a", "begin", now=start - timedelta(hours=1))
    walk.act("res_a", "sign_in", now=start)
    walk.act("res_a", "sign_out", now=start + timedelta(hours=2))
    walk.act("cadm_a", "finish", now=start + timedelta(hours=2))
    walk.act("cadm_a", "evaluate", {"rating": 5}, now=start + timedelta(hours=3))
    assert walk.state() == "done"
    assert walk.balance("res_a") == 23  # round((15 + 2 × 2 h) × 1.2), as a member would get
    assert walk.balance("mem1") == 0    # signed up, never came
    with factory() as s, s.begin():
        item = ShopItem(community_id=world["ca"], name="洗衣液", price=20, stock=2)
        s.add(item)
    with factory() as s:
        shop.redeem(s, world["res_a"], item.id, now=NOW)
    assert walk.balance("res_a") == 3 and walk.ledger_ok() == []


def test_a_resident_joins_a_volunteer_item(factory, world):
    walk = Walker(factory, world)
    walk.start("cadm_a", "volunteer", {"title": "图书角值守", "description": "周末值守", "capacity": 5})
    walk.act("res_a", "volunteer")
    walk.act("res_a", "report", {"hours": 3, "note": "整理图书"})
    walk.act("cadm_a", "settle")
    assert walk.balance("res_a") == 15  # 5 points per hour × 3 h
