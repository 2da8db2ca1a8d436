"""The dashboard's tallies, kept by the transactions that change what they count, equal the
same figures counted from the sources: after every workflow walked end to end, a redemption
and its refund, on both engines."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from flows.points import shop
from flows.reporting import stats, tallies
from schemas.tables import ShopItem, Tally
from tests.flows.walker import Walker
from tests.world import NOW, build_world


def _everything(factory, world) -> dict[str, int]:
    wish = Walker(factory, world)
    wish.start("res_a", "micro_wish", {"title": "修灯"})
    for user, step, data in [("cadm_a", "publish", {}), ("mem1", "claim", {}), ("mem1", "serve", {"hours": 2, "note": "好"}),
                             ("res_a", "evaluate", {"rating": 5})]:
        wish.act(user, step, data)
    start = NOW + timedelta(days=2)
    activity = Walker(factory, world)
    activity.start("cadm_a", "env_cleanup", {"title": "大扫除", "description": "清理", "place": "广场",
                                             "starts_at": start.isoformat(),
                                             "ends_at": (start + timedelta(hours=3)).isoformat(), "capacity": 2})
    activity.act("cadm_a", "publish")
    activity.act("orgadm1", "grab")
    activity.act("mem1", "sign_up")
    activity.act("mem2", "sign_up")
    activity.act("cadm_a", "begin")
    activity.act("mem1", "sign_in", now=start)
    activity.act("mem1", "sign_out", now=start + timedelta(hours=2))
    activity.act("cadm_a", "finish")
    activity.act("cadm_a", "evaluate", {"rating": 5})
    volunteer = Walker(factory, world)
    volunteer.start("cadm_a", "volunteer", {"title": "探访", "description": "每周一次", "capacity": 3})
    volunteer.act("mem1", "join")
    volunteer.act("mem2", "join")
    with factory() as s:
        item = ShopItem(community_id=world["ca"], name="大米", price=5, stock=9)
        s.add(item)
        s.commit()
        kept = shop.redeem(s, world["mem1"], item.id)
        undone = shop.redeem(s, world["mem1"], item.id)
        shop.cancel(s, world["mem1"], undone.id)
        del kept
    return {"wishes": 1, "activities": 1, "participants": 2, "volunteer": 2}


def test_tallies_match_the_sources(factory):
    world = build_world(factory)
    expected = _everything(factory, world)
    with factory() as s:
        assert tallies.check(s) == []
        figures = stats.figures(s, [world["ca"]])
        assert {k: figures[k] for k in expected} == expected
        assert figures["issued"] > 0 and figures["redeemed"] == 5  # two redeemed, one refunded
        assert figures["appointments"] == 0
        assert stats.figures(s, [world["cb"]])["issued"] == 0  # another community's own figures


def test_rebuild_restores_lost_tallies(factory):
    world = build_world(factory)
    _everything(factory, world)
    with factory() as s:
        before = tallies.stored(s)
        s.execute(delete(Tally))
        s.commit()
        assert tallies.check(s) != []
        assert tallies.rebuild(s) == len(before)
        s.commit()
        assert tallies.stored(s) == before and tallies.check(s) == []
