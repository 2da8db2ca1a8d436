"""The dashboard's tallies, kept by the transactions that change what they count, equal the
same figures counted from the sources: after every workflow walked end to end, a redemption
and its refund, on both engines."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from flows.engine import figures
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
    activity.act("cadm_a", "begin", now=start - timedelta(hours=1))
    activity.act("mem1", "sign_in", now=start)
    activity.act("mem1", "sign_out", now=start + timedelta(hours=2))
    activity.act("cadm_a", "finish", now=start + timedelta(hours=3))
    activity.act("cadm_a", "evaluate", {"rating": 5}, now=start + timedelta(hours=3))
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
        assert figures.check(s) == []
        got = stats.figures(s, [world["ca"]])
        assert {k: got[k] for k in expected} == expected
        assert got["issued"] > 0 and got["redeemed"] == 5  # two redeemed, one refunded
        assert got["appointments"] == 0
        assert stats.figures(s, [world["cb"]])["issued"] == 0  # another community's own figures


def test_rebuild_restores_lost_tallies(factory):
    world = build_world(factory)
    _everything(factory, world)
    with factory() as s:
        before = tallies.stored(s)
        s.execute(delete(Tally))
        s.commit()
        assert figures.check(s) != []
        assert figures.rebuild(s) == len(before)
        s.commit()
        assert tallies.stored(s) == before and figures.check(s) == []


def test_only_new_claims_count_and_withdrawals_come_off(factory):
    """Reporting, signing in or out and withdrawing name a claim but are not new claims; a
    withdrawn claim comes off the day it was counted on; a withdrawn sign-up is no participant."""
    world = build_world(factory)
    volunteer = Walker(factory, world)
    volunteer.start("cadm_a", "volunteer", {"title": "探访", "description": "每周一次", "capacity": 3})
    volunteer.act("mem1", "join", now=NOW - timedelta(days=3))
    volunteer.act("mem1", "report", {"hours": 1, "note": "去了"})
    volunteer.act("mem1", "report", {"hours": 2, "note": "又去了"})
    volunteer.act("mem2", "join")
    volunteer.act("mem2", "withdraw")
    start = NOW + timedelta(days=2)
    activity = Walker(factory, world).recruiting_activity("清雪", 3, start)
    activity.act("mem2", "sign_up")
    activity.act("mem2", "withdraw")
    # signing in and out happens within the activity's time (the workflow's window)
    for user, step, when in [("cadm_a", "begin", start - timedelta(hours=1)), ("mem1", "sign_in", start),
                             ("mem1", "sign_out", start + timedelta(hours=1)),
                             ("cadm_a", "finish", start + timedelta(hours=2))]:
        activity.act(user, step, now=when)
    activity.act("cadm_a", "evaluate", {"rating": 4}, now=start + timedelta(hours=2))
    with factory() as s:
        assert figures.check(s) == []
        got = stats.figures(s, [world["ca"]])
        assert (got["volunteer"], got["participants"], got["activities"]) == (1, 1, 1)
        three_days_ago = NOW - timedelta(days=3)
        assert stats.figures(s, [world["ca"]], since=three_days_ago, until=three_days_ago + timedelta(days=1))[
            "volunteer"] == 1


def test_a_district_workflow_of_a_known_category_is_counted(factory):
    """Figures are keyed by the workflow's category: a new workflow id with category micro_wish
    and its own name for the successful ending counts as a wish."""
    from schemas.settings import ROOT
    from schemas.tables import TaskType

    world = build_world(factory)
    source = (ROOT / "workflows" / "micro_wish.yaml").read_text("utf-8").replace("id: micro_wish", "id: wish_yimei")
    source = source.replace("  done:      {title: 已完成", "  fulfilled: {title: 已完成").replace(
        "to: done", "to: fulfilled").replace("    done: {title: Done}", "    fulfilled: {title: Done}")
    with factory() as s:
        from flows.workflow import registry

        registry.publish(s, source)
        s.get(TaskType, world["tt_micro_wish"]).workflow_id = "wish_yimei"
        s.commit()
    Walker(factory, world).rated_wish("新流程的心愿", 5)
    with factory() as s:
        assert figures.check(s) == []
        assert stats.figures(s, [world["ca"]])["wishes"] == 1
