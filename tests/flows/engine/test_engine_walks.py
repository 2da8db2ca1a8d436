"""Each of the programme's workflows walked end to end through the engine, resuming from the
database after every step, with the points checked at the end."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from flows.core.refusals import Refused
from flows.points import ledger
from schemas.tables import AppointmentSlot, Booking, BookingStatus, Claim, ClaimStatus, Demand, ServiceRecord
from tests.flows.walker import Walker
from tests.world import NOW, build_world


@pytest.fixture
def world(factory):
    return build_world(factory)


@pytest.fixture
def walk(factory, world):
    return Walker(factory, world)


def test_micro_wish(walk, factory, world):
    walk.start("res_a", "micro_wish", {"title": "给独居老人修灯", "place": "3号楼2单元",
                                       "starts_at": (NOW + timedelta(days=1)).isoformat()})
    assert walk.state() == "review"
    walk.act("cadm_a", "publish")
    walk.act("mem1", "claim")
    walk.act("mem1", "serve", {"hours": 2, "note": "换了灯泡和开关"})
    outcome = walk.act("res_a", "evaluate", {"rating": 5, "comment": "很满意"})
    assert outcome.to_state == "done"  # the award ran in the same transaction
    assert walk.events() == [
        ("post", None, "review"), ("publish", "review", "open"), ("claim", "open", "claimed"),
        ("serve", "claimed", "served"), ("evaluate", "served", "rated"), ("award:notify", "done", "done"),
        ("award", "rated", "done"),
    ]
    assert walk.balance("mem1") == 17  # round((10 + 2 × 2h) × 1.2)
    assert walk.ledger_ok() == []
    with factory() as s:
        assert s.scalars(select(Claim.status).where(Claim.demand_id == walk.demand_id)).all() == [ClaimStatus.DONE]


def test_joint_activity(walk, factory, world):
    start = NOW + timedelta(days=2)
    walk.start("cadm_a", "env_cleanup", {
        "title": "楼道清理大扫除", "description": "清理楼道杂物", "place": "旭日社区广场",
        "starts_at": (start).isoformat(), "ends_at": (start + timedelta(hours=3)).isoformat(), "capacity": 2})
    walk.act("cadm_a", "publish")
    grab = walk.act("orgadm1", "grab")
    assert grab.to_state == "recruiting"
    walk.act("mem1", "sign_up")
    walk.act("mem2", "sign_up")
    with pytest.raises(Exception) as full:
        walk.act("mem_pending", "sign_up")
    assert full.value.code == "full"
    with pytest.raises(Refused) as early:  # 开始活动 opens a day before the start, not the day it is grabbed
        walk.act("cadm_a", "begin")
    assert early.value.code == "guard.in_time_window"
    walk.act("cadm_a", "begin", now=start - timedelta(hours=1))
    walk.act("mem1", "sign_in", now=start)
    walk.act("mem1", "sign_out", now=start + timedelta(hours=2))
    with pytest.raises(Refused) as early:  # 结束活动 only once it has started: no points for an activity not held
        walk.act("cadm_a", "finish")
    assert early.value.code == "guard.after_start"
    walk.act("cadm_a", "finish", now=start + timedelta(hours=3))
    walk.act("cadm_a", "evaluate", {"rating": 5}, now=start + timedelta(hours=4))
    assert walk.state() == "done"
    assert walk.balance("mem1") == 23  # round((15 + 2 × 2h) × 1.2)
    assert walk.balance("mem2") == 0   # signed up but never came: no points
    with factory() as s:
        assert s.scalar(select(Demand.org_id).where(Demand.id == walk.demand_id)) == world["org1"]
        assert ledger.org_account(s, world["org1"]).balance == 20
    assert walk.ledger_ok() == []


def test_volunteer_item(walk, world):
    walk.start("cadm_a", "volunteer", {"title": "独居老人每周探访", "description": "每周上门探访一次",
                                       "capacity": 3, "required_skills": ["repair"]})
    with pytest.raises(Exception) as refused:
        walk.act("mem2", "join")
    assert refused.value.code == "guard.skills" and "水电维修" in refused.value.message()
    walk.act("mem1", "join")
    walk.act("mem1", "report", {"hours": 2.5, "note": "第一次探访"})
    walk.act("mem1", "report", {"hours": 3.5, "note": "第二次探访"})
    walk.act("cadm_a", "settle")
    assert walk.state() == "done"
    assert walk.balance("mem1") == 30  # 5 points per hour × 6 h
    assert walk.ledger_ok() == []


def test_a_days_service_is_bounded_by_the_steps_maximum_not_only_one_entry(walk, factory, world):
    """记录服务 can be repeated; four entries of twelve hours in one minute became 200 points at the
    settlement (the walk found it). The hours field's maximum (12) now bounds a Beijing day's
    entries for one person; the next day starts afresh, and someone else's hours are their own."""
    walk.start("cadm_a", "volunteer", {"title": "社区值守", "description": "每天值守", "capacity": 3})
    walk.act("mem1", "join")
    walk.act("mem2", "join")
    walk.act("mem1", "report", {"hours": 8, "note": "上午和下午"})
    with pytest.raises(Refused) as refused:
        walk.act("mem1", "report", {"hours": 5, "note": "晚上"}, now=NOW + timedelta(minutes=1))
    assert refused.value.fields_in("zh") == {"hours": "每天最多记录 12 小时：今天已记录 8 小时，还可以记录 4 小时"}
    walk.act("mem1", "report", {"hours": 4, "note": "晚上"}, now=NOW + timedelta(minutes=2))
    walk.act("mem2", "report", {"hours": 12, "note": "全天"}, now=NOW + timedelta(minutes=3))  # theirs apart
    walk.act("mem1", "report", {"hours": 3, "note": "第二天"}, now=NOW + timedelta(days=1))
    with factory() as s:
        hours = {r.user_id: float(r.hours) for r in s.scalars(select(ServiceRecord).where(
            ServiceRecord.demand_id == walk.demand_id))}
    assert hours == {world["mem1"]: 15.0, world["mem2"]: 12.0}


def test_leaving_a_volunteer_item_keeps_the_hours_served(walk, factory, world):
    """退出事项 frees the place; hours already recorded still count at the settlement, and who
    comes back has both stints credited once. Who leaves with nothing recorded is withdrawn."""
    from flows.engine import figures

    walk.start("cadm_a", "volunteer", {"title": "社区图书角值守", "description": "周末值守", "capacity": 2})
    walk.act("mem1", "join")
    walk.act("mem1", "report", {"hours": 2, "note": "值守"})
    walk.act("mem1", "withdraw")
    walk.act("mem2", "join")
    walk.act("mem2", "withdraw")
    with factory() as s:
        demand = s.get(Demand, walk.demand_id)
        statuses = {c.user_id: c.status for c in s.scalars(select(Claim).where(Claim.demand_id == demand.id))}
        assert demand.taken == 0 and statuses == {world["mem1"]: ClaimStatus.DONE, world["mem2"]: ClaimStatus.WITHDRAWN}
    walk.act("mem1", "join")  # back again: a new place, a new stint
    walk.act("mem1", "report", {"hours": 1, "note": "再值守"})
    walk.act("cadm_a", "settle")
    assert walk.state() == "done"
    assert walk.balance("mem1") == 15 and walk.balance("mem2") == 0  # 5 points per hour × (2 + 1) h, credited once
    assert walk.ledger_ok() == []
    with factory() as s:
        assert figures.check(s) == []  # the dashboard's standing claims equal a recount


def test_appointment(walk, factory, world):
    walk.start("res_a", "appointment", {"title": "老人理发"}, slot=world["slot"])
    with factory() as s:
        assert s.get(AppointmentSlot, world["slot"]).booked == 1
    walk.act("cadm_a", "assign", {"assignee": world["mem1"]})
    with pytest.raises(Refused) as early:  # 完成服务 only once the booked time has come: no points before
        walk.act("mem1", "serve", {"hours": 1})
    assert early.value.code == "guard.after_start"
    walk.act("mem1", "serve", {"hours": 1}, now=NOW + timedelta(days=1, hours=1))
    walk.act("res_a", "evaluate", {"rating": 4}, now=NOW + timedelta(days=1, hours=2))
    assert walk.state() == "done"
    assert walk.balance("mem1") == 8
    assert walk.ledger_ok() == []


def test_appointment_cancel_releases_the_slot(walk, factory, world):
    walk.start("res_a", "appointment", {"title": "老人理发"}, slot=world["slot"])
    walk.act("res_a", "cancel")
    with factory() as s:
        assert s.get(AppointmentSlot, world["slot"]).booked == 0
        assert s.scalar(select(Booking.status)) is BookingStatus.CANCELLED


def test_full_slot_refused(walk, factory, world):
    walk.start("res_a", "appointment", {"title": "理发"}, slot=world["slot"])
    walk.start("res_a2", "appointment", {"title": "理发"}, slot=world["slot"])
    with pytest.raises(Exception) as refused:
        walk.start("resmem", "appointment", {"title": "理发"}, slot=world["slot"])
    assert refused.value.code == "slot"
    with factory() as s:
        assert s.get(AppointmentSlot, world["slot"]).booked == 2


def test_an_organisation_that_grabbed_an_activity_has_no_place_to_withdraw(walk, factory, world):
    """取消报名 gives back one's own place; the organisation's grab is not one (withdrawing it left
    the activity recruiting for an organisation that no longer held it)."""
    start = NOW + timedelta(days=2)
    walk.start("cadm_a", "env_cleanup", {"title": "义务植树", "description": "d", "place": "p", "capacity": 3,
                                         "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()})
    walk.act("cadm_a", "publish")
    walk.act("orgadm1", "grab")
    with pytest.raises(Exception) as refused:
        walk.act("orgadm1", "withdraw")
    assert refused.value.code == "no_claim"
    with factory() as s:  # and it is not offered
        from flows.engine.visibility import available_steps
        from flows.people.actors import load_actor

        offered = [name for name, _ in available_steps(s, load_actor(s, world["orgadm1"]), s.get(Demand, walk.demand_id))]
        assert "withdraw" not in offered
    walk.act("mem1", "sign_up")
    walk.act("mem1", "withdraw")  # a member's own place, as before
    with factory() as s:
        claims = s.execute(select(Claim.org_id, Claim.user_id, Claim.status).where(Claim.demand_id == walk.demand_id)
                           .order_by(Claim.id)).all()
    assert claims == [(world["org1"], None, ClaimStatus.ACTIVE), (None, world["mem1"], ClaimStatus.WITHDRAWN)]
    assert walk.state() == "recruiting"


def test_an_organisation_earns_nothing_for_an_activity_nobody_came_to(walk, factory, world):
    """Grabbed, signed up, begun, ended and rated 5 with nobody signed in: the organisation got
    its 20 points all the same (the walk found it). Nobody came, nobody is paid."""
    start = NOW + timedelta(hours=2)
    walk.start("cadm_a", "env_cleanup", {"title": "无人到场", "description": "d", "place": "p", "capacity": 3,
                                         "starts_at": start.isoformat(),
                                         "ends_at": (start + timedelta(hours=2)).isoformat()})
    for user, step in [("cadm_a", "publish"), ("orgadm1", "grab"), ("mem1", "sign_up"), ("cadm_a", "begin")]:
        walk.act(user, step)
    walk.act("cadm_a", "finish", now=start + timedelta(hours=2))
    walk.act("cadm_a", "evaluate", {"rating": 5}, now=start + timedelta(hours=3))
    assert walk.state() == "done"
    with factory() as s:
        assert ledger.org_account(s, world["org1"]).balance == 0
    assert walk.balance("mem1") == 0 and walk.ledger_ok() == []
