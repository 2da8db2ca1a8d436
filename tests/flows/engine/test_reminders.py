"""Reminders and confirmations (#17): the day-before and two-hours-before reminders reach the
claimants once however often `due` runs; a moved activity moves its reminders, a cancelled one
has none; an unconfirmed place is released to the next member, a confirmed one is kept."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from flows import engine
from flows.core.refusals import Refused
from flows.engine import reminders, schedule
from schemas.tables import Claim, ClaimStatus, Demand, Event, Notification
from tests.flows.walker import Walker
from tests.world import NOW, build_world

START = NOW + timedelta(days=5)


@pytest.fixture
def world(factory):
    return build_world(factory)


def _told(factory, demand_id: int, kind: str) -> list[tuple[int, str]]:
    with factory() as s:
        return [(n.user_id, n.title) for n in s.scalars(select(Notification).where(
            Notification.demand_id == demand_id, Notification.kind == kind).order_by(Notification.id))]


def _due(factory, at) -> dict[str, int]:
    with factory() as s:
        return reminders.due(s, at)


def _activity(factory, world, start=START, capacity=5) -> Walker:
    """Recruiting, mem1 signed up (at NOW, before any confirmation is asked), mem2 too."""
    walk = Walker(factory, world).recruiting_activity("清扫楼道", capacity, start)
    walk.act("mem2", "sign_up")
    return walk


def test_the_day_before_and_two_hours_before_reminders_reach_the_claimants_once(factory, world):
    walk = _activity(factory, world)
    claimants = {world["mem1"], world["mem2"]}
    for user in ("mem1", "mem2"):  # confirmed: the confirmation plan does not release them
        with factory() as s:
            engine_confirm = reminders.confirm(s, world[user], walk.demand_id, now=START - timedelta(hours=47))
            assert engine_confirm.step == "sign_up:confirm"
    assert _due(factory, START - timedelta(hours=25)).get("remind") is None
    for _ in range(2):  # a second pass (or a second worker) sends nothing again
        _due(factory, START - timedelta(hours=23))
    day_before = _told(factory, walk.demand_id, "sign_in:remind")
    assert {u for u, _ in day_before} == claimants and len(day_before) == 2
    assert all(title == "活动提醒：清扫楼道" for _, title in day_before)
    assert _due(factory, START - timedelta(hours=3)) == {}
    assert _due(factory, START - timedelta(minutes=110)) == {"remind": 1}
    assert _due(factory, START - timedelta(minutes=100)) == {}
    assert len(_told(factory, walk.demand_id, "sign_in:remind")) == 4
    assert _due(factory, START + timedelta(minutes=1)) == {}  # nothing once it has started
    with factory() as s:
        keys = list(s.scalars(select(Event.request_key).where(Event.demand_id == walk.demand_id,
                                                              Event.step == "sign_in:remind")))
    assert len(keys) == 2 and all(k.startswith(f"remind:{walk.demand_id}:sign_in:") for k in keys)


def test_a_moved_activity_moves_its_reminders_and_a_cancelled_one_has_none(factory, world):
    walk = _activity(factory, world)
    later = START + timedelta(days=1)
    with factory() as s:
        moved = schedule.reschedule(s, world["cadm_a"], walk.demand_id, {"starts_at": later.isoformat()},
                                    now=NOW + timedelta(hours=1), request_key="move-1")
    with factory() as s:  # sent twice: moved once
        again = schedule.reschedule(s, world["cadm_a"], walk.demand_id, {"starts_at": later.isoformat()},
                                    now=NOW + timedelta(hours=1), request_key="move-1")
        assert again.replayed and again.event_id == moved.event_id
    with factory() as s:
        demand = s.get(Demand, walk.demand_id)
        assert demand.starts_at == later and demand.ends_at == later + timedelta(hours=2)
    # the old day-before time comes: nothing (the old reminder never fires)
    assert "remind" not in _due(factory, START - timedelta(hours=23))
    assert _told(factory, walk.demand_id, "sign_in:remind") == []
    for user in ("mem1", "mem2"):  # asked again for the new time, they confirm
        with factory() as s:
            reminders.confirm(s, world[user], walk.demand_id, now=later - timedelta(hours=40))
    # the new one comes
    assert _due(factory, later - timedelta(hours=23)).get("remind") == 1
    assert len(_told(factory, walk.demand_id, "sign_in:remind")) == 2

    other = _activity(factory, world, start=START + timedelta(days=3))
    other.act("cadm_a", "cancel")
    assert _due(factory, START + timedelta(days=3) - timedelta(hours=23)) == {}
    assert _told(factory, other.demand_id, "sign_in:remind") == []
    with factory() as s, pytest.raises(Refused, match="state"):  # a cancelled activity keeps its time
        schedule.reschedule(s, world["cadm_a"], other.demand_id, {"starts_at": later.isoformat()})
    with factory() as s, pytest.raises(Refused, match="role"):  # only the community's admins move it
        schedule.reschedule(s, world["mem1"], walk.demand_id, {"starts_at": later.isoformat()})
    with factory() as s, pytest.raises(Refused, match="role"):  # ...and not another community's
        schedule.reschedule(s, world["cadm_b"], walk.demand_id, {"starts_at": later.isoformat()})
    with factory() as s, pytest.raises(Refused, match="input"):
        schedule.reschedule(s, world["cadm_a"], walk.demand_id, {"starts_at": later.isoformat(),
                                                                 "ends_at": START.isoformat()})


def test_an_unconfirmed_claim_is_released_and_the_next_member_can_claim(factory, world):
    walk = _activity(factory, world, capacity=2)
    with factory() as s, pytest.raises(Refused, match="full"):
        engine.act(s, world["resmem"], walk.demand_id, "sign_up", {}, now=NOW + timedelta(hours=1))
    # two days before: both are asked, once
    assert _due(factory, START - timedelta(hours=47)) == {"ask": 1}
    assert _due(factory, START - timedelta(hours=46)) == {}
    asked = _told(factory, walk.demand_id, "sign_up:ask")
    assert {u for u, _ in asked} == {world["mem1"], world["mem2"]}
    assert all(t == "请确认参加：清扫楼道" for _, t in asked)
    with factory() as s:  # mem1 confirms (the same key again is answered, not done twice)
        first = reminders.confirm(s, world["mem1"], walk.demand_id, request_key="k1", now=START - timedelta(hours=40))
    with factory() as s:
        again = reminders.confirm(s, world["mem1"], walk.demand_id, request_key="k1", now=START - timedelta(hours=40))
    assert again.replayed and again.event_id == first.event_id
    with factory() as s, pytest.raises(Refused, match="confirm.none"):  # confirmed already
        reminders.confirm(s, world["mem1"], walk.demand_id, now=START - timedelta(hours=39))
    # one day before: mem2 never confirmed; released twice over is released once
    assert _due(factory, START - timedelta(hours=23)) == {"release": 1, "remind": 1}
    assert _due(factory, START - timedelta(hours=22)) == {}
    with factory() as s:
        claims = {c.user_id: c for c in s.scalars(select(Claim).where(Claim.demand_id == walk.demand_id,
                                                                       Claim.user_id.is_not(None)))}
        assert claims[world["mem1"]].status == ClaimStatus.ACTIVE and claims[world["mem1"]].confirmed_at
        assert claims[world["mem2"]].status == ClaimStatus.WITHDRAWN
        assert s.get(Demand, walk.demand_id).taken == 1
    assert _told(factory, walk.demand_id, "sign_up:release") == [(world["mem2"], "名额已释放：清扫楼道")]
    # only the kept claimant is reminded
    assert [u for u, _ in _told(factory, walk.demand_id, "sign_in:remind")] == [world["mem1"]]
    # the next member takes the place; signing up this late needs no confirmation
    walk.act("resmem", "sign_up", now=START - timedelta(hours=20))
    assert _due(factory, START - timedelta(hours=19)) == {}
    with factory() as s:
        assert s.get(Demand, walk.demand_id).taken == 2
        assert reminders.awaiting(s, _actor(s, world["resmem"]), s.get(Demand, walk.demand_id),
                                  _workflow(s, walk.demand_id), START - timedelta(hours=19)) is None
    with factory() as s, pytest.raises(Refused, match="confirm.none"):  # released: nothing to confirm
        reminders.confirm(s, world["mem2"], walk.demand_id, now=START - timedelta(hours=19))


def test_a_demand_that_has_moved_on_asks_and_releases_nobody(factory, world):
    walk = _activity(factory, world)
    walk.act("cadm_a", "begin", now=START - timedelta(days=1))  # running: sign-ups are closed
    assert _due(factory, START - timedelta(hours=47)) == {}
    assert _due(factory, START - timedelta(hours=23)) == {"remind": 1}  # the sign-in is still ahead
    with factory() as s:
        assert s.get(Demand, walk.demand_id).taken == 2


def _actor(s, user_id):
    from flows.people.actors import load_actor

    return load_actor(s, user_id)


def _workflow(s, demand_id):
    from flows.workflow import registry

    d = s.get(Demand, demand_id)
    return registry.load(s, d.workflow_id, d.workflow_version, d.workflow_hash)


def test_a_reminder_goes_by_sms_too_though_nobody_chose_it(factory, world, channels):
    """Reminders are a mandatory category (SMS by default): the claimant with a phone gets the
    template's one sentence by SMS, once; the one without a phone only in the inbox."""
    from sqlalchemy import update

    from flows.notices import courier
    from schemas.tables import User

    _, provider = channels
    with factory() as s:
        s.execute(update(User).where(User.id == world["mem1"]).values(phone="13800000001"))
        s.commit()
    walk = _activity(factory, world)
    for user in ("mem1", "mem2"):
        with factory() as s:
            reminders.confirm(s, world[user], walk.demand_id, now=START - timedelta(hours=47))
    _due(factory, START - timedelta(hours=23))
    with factory() as s:
        rows = s.scalars(select(Notification).where(Notification.demand_id == walk.demand_id,
                                                    Notification.kind == "sign_in:remind",
                                                    Notification.channel == "sms")).all()
        assert [(n.user_id, n.title) for n in rows] == [(world["mem1"], rows[0].title)]
        assert rows[0].title.startswith("活动提醒：清扫楼道，") and rows[0].body == ""
    courier.deliver_due(factory)
    assert [r["body"]["to"] for r in provider.requests] == ["13800000001"]
