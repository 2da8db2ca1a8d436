"""Confirming a place (#17) on a phone in Chinese: two days before an activity the member who
signed up is asked to confirm; 我的 → 消息, the request, tap through to the activity, 确认参加,
and the database shows the claim confirmed (once, however often the button is sent)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from flows.engine import reminders
from schemas.clock import utcnow
from schemas.tables import Claim, ClaimStatus, Event
from tests.admin.journeys.people import ARTIFACTS, Person, needs_browser
from tests.admin.test_accessibility import MEASURE
from tests.flows.walker import Walker

pytestmark = needs_browser


def test_member_confirms_his_place_from_the_request_in_his_messages(browser, server, world, factory):
    now = utcnow()
    start, earlier = now + timedelta(hours=30), now - timedelta(days=3)
    walk = Walker(factory, world)
    walk.start("cadm_a", "env_cleanup", {"title": "周末清扫楼道", "description": "d", "place": "3 号楼",
                                         "capacity": 5, "starts_at": start.isoformat(),
                                         "ends_at": (start + timedelta(hours=2)).isoformat()}, now=earlier)
    for user, step in [("cadm_a", "publish"), ("orgadm1", "grab"), ("mem1", "sign_up")]:
        walk.act(user, step, now=earlier)
    with factory() as s:  # the worker's pass: the request goes out
        assert reminders.due(s, now) == {"ask": 1}

    member = Person(browser, server, "mem1", ARTIFACTS / "confirm")
    member.tab("我的")
    member.follow("消息")
    assert member.says("请确认参加：周末清扫楼道")
    member.shot("inbox")
    member.tap("请确认参加：周末清扫楼道")
    assert member.page.url.endswith(f"/d/{walk.demand_id}?from=messages") and member.says("请确认您会参加")
    member.shot("asked")
    # the request and its button keep the size rules, in both layouts (the sweep's crawl never
    # catches a demand inside its confirmation window)
    assert member.page.evaluate(MEASURE, [14, 44]) == []
    member.context.add_cookies([{"name": "yijia_elder", "value": "1", "url": server}])
    member.page.reload()
    assert member.page.evaluate(MEASURE, [18, 60]) == []
    member.shot("asked-elder")
    member.context.clear_cookies(name="yijia_elder")
    member.page.reload()
    member.tap("确认参加", exact=True)
    assert "确认参加" in member.flash()
    assert not member.says("请确认您会参加")  # asked no more
    member.shot("confirmed")
    member.close()

    with factory() as s:
        claim = s.scalars(select(Claim).where(Claim.demand_id == walk.demand_id,
                                              Claim.user_id == world["mem1"])).one()
        assert claim.status == ClaimStatus.ACTIVE and claim.confirmed_at is not None
        assert s.scalars(select(Event.actor_id).where(Event.demand_id == walk.demand_id,
                                                      Event.step == "sign_up:confirm")).all() == [world["mem1"]]
    with factory() as s:  # the day before: the confirmed place is kept
        assert reminders.due(s, start - timedelta(hours=23)).get("release") is None
        assert s.get(Claim, claim.id).status == ClaimStatus.ACTIVE
