"""The other workflows over the API, the same walks as the web's journeys: a joint activity
(publish, an organisation grabs, members sign up, sign in and out at the door, finish,
rate), a volunteer item (join, report hours twice, settle) and an appointment (book a slot,
assign, serve, rate). The database is checked after each."""
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from admin.api.client import ApiError
from flows.engine import presence
from flows.points import ledger
from schemas.tables import Demand
from tests.world import the_start_comes


def _startable(client, task_type_id: int) -> dict:
    return next(s for s in client.startables() if s["task_type_id"] == task_type_id)


def test_joint_activity_over_the_api(app, api, world, factory):
    admin = api("cadm_a")
    start = datetime.now(UTC) + timedelta(minutes=30)
    entry = _startable(admin, world["tt_env_cleanup"])
    created = admin.start(entry["task_type_id"], {
        "title": "楼道清理大扫除", "description": "清理楼道杂物", "place": "旭日社区广场",
        "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat(), "capacity": 2})
    demand_id = created["demand_id"]
    admin.step(demand_id, "publish")
    assert api("orgadm1").step(demand_id, "grab")["to_state"] == "recruiting"
    member = api("mem1")
    assert demand_id in [d["id"] for d in member.hall()]
    member.step(demand_id, "sign_up")
    api("mem2").step(demand_id, "sign_up")
    with pytest.raises(ApiError) as full:
        api("mem_pending").step(demand_id, "sign_up")
    assert full.value.status in (403, 404, 409)
    admin.step(demand_id, "begin")
    # at the door: the code of the sign-in QR code's link, without which nobody signs in from home
    with pytest.raises(ApiError) as away:
        member.step(demand_id, "sign_in")
    assert away.value.status == 403 and away.value.problem["code"] == "guard.on_site"
    with pytest.raises(ApiError) as guessed:
        member.step(demand_id, "sign_in", presence_code="AAAAAAAAAAAA")
    assert guessed.value.problem["code"] == "guard.on_site"
    code = presence.code(app.config["SECRET_KEY"], demand_id, time.time())  # this ten minutes' code, on the screen
    member.step(demand_id, "sign_in", presence_code=code.lower())
    member.step(demand_id, "sign_out", presence_code=code)
    before = admin.demand(demand_id)
    assert "finish" not in [s["step"] for s in before["steps"]]  # not before it has started, and it says when
    assert [(c["step"], c["code"]) for c in before["closed"]] == [("finish", "guard.after_start")]
    assert before["closed"][0]["detail"].startswith("还没到时间：")
    with pytest.raises(ApiError) as early:
        admin.step(demand_id, "finish")
    assert early.value.status == 403 and early.value.problem["code"] == "guard.after_start"
    the_start_comes(factory, demand_id)
    admin.step(demand_id, "finish")
    assert admin.step(demand_id, "evaluate", {"rating": 5})["to_state"] in ("rated", "done")
    assert member.demand(demand_id)["state"] == "done"
    with factory() as s:
        assert s.scalar(select(Demand.org_id).where(Demand.id == demand_id)) == world["org1"]
        assert ledger.balance(s, world["mem1"]) > 0 and ledger.balance(s, world["mem2"]) == 0
        assert ledger.check(s) == []


def test_volunteer_item_over_the_api(api, world, factory):
    admin = api("cadm_a")
    entry = _startable(admin, world["tt_volunteer"])
    demand_id = admin.start(entry["task_type_id"], {"title": "独居老人每周探访", "description": "每周上门探访一次",
                                                    "capacity": 3, "required_skills": ["repair"]})["demand_id"]
    with pytest.raises(ApiError) as skills:
        api("mem2").step(demand_id, "join")
    assert skills.value.status == 403 and skills.value.code == "guard.skills"
    member = api("mem1")
    member.step(demand_id, "join")
    member.step(demand_id, "report", {"hours": 2.5, "note": "第一次探访"})
    member.step(demand_id, "report", {"hours": 3.5, "note": "第二次探访"})
    admin.step(demand_id, "settle")
    with factory() as s:
        assert s.get(Demand, demand_id).state == "done"
        assert ledger.balance(s, world["mem1"]) == 30  # 5 points per hour × 6 h
        assert ledger.check(s) == []


def test_appointment_over_the_api(api, world, factory):
    resident = api("res_a")
    booked = resident.post(f"/slots/{world['slot']}/book", {"note": "老人理发"})
    demand_id = booked["demand_id"]
    admin = api("cadm_a")
    assert "assign" in [s["step"] for s in admin.demand(demand_id)["steps"]]
    admin.step(demand_id, "assign", {"assignee": world["mem1"]})
    with pytest.raises(ApiError) as early:  # not before the booked time
        api("mem1").step(demand_id, "serve", {"hours": 1})
    assert (early.value.status, early.value.problem["code"]) == (403, "guard.after_start")
    the_start_comes(factory, demand_id)
    api("mem1").step(demand_id, "serve", {"hours": 1})
    resident.step(demand_id, "evaluate", {"rating": 4})
    with factory() as s:
        assert s.get(Demand, demand_id).state == "done"
        assert ledger.balance(s, world["mem1"]) > 0
