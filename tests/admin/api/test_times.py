"""The engine's time rules seen over the API, on the real clock: a past time is refused beside
its field, an activity that is over is neither offered, listed nor joined, and an admin's late
attendance confirmation counts the activity's hours."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from admin.api.client import ApiError
from schemas.clock import utcnow
from schemas.tables import ServiceRecord
from tests.flows.walker import Walker


def _ended_activity(factory, world) -> Walker:
    """An activity held three days ago, still open to residents (published, never grabbed)."""
    held = utcnow().replace(second=0, microsecond=0) - timedelta(days=3)
    walk = Walker(factory, world)
    walk.start("cadm_a", "env_cleanup", {"title": "清雪", "description": "d", "place": "p", "capacity": 5,
                                         "starts_at": held.isoformat(),
                                         "ends_at": (held + timedelta(hours=2)).isoformat()}, now=held - timedelta(days=1))
    walk.act("cadm_a", "publish", now=held - timedelta(days=1))
    walk.held = held
    return walk


def test_a_wish_with_a_past_time_is_refused_beside_the_field(api, world):
    with pytest.raises(ApiError) as refused:
        api("res_a").start(world["tt_micro_wish"], {"title": "修灯", "starts_at": "2020-01-01T09:00:00+08:00"},
                           community_id=world["ca"])
    assert refused.value.status == 422 and "已经过去" in refused.value.errors["starts_at"]


def test_a_reschedule_to_the_past_is_refused_beside_the_field(api, world, factory):
    walk = Walker(factory, world).recruiting_activity("义诊", 5, utcnow() + timedelta(days=3))
    with pytest.raises(ApiError) as refused:
        api("cadm_a").reschedule(walk.demand_id, "2019-12-05T09:00:00+08:00")
    assert refused.value.status == 422 and "starts_at" in refused.value.errors


def test_an_activity_that_is_over_is_not_offered_listed_or_joined(api, world, factory):
    walk = _ended_activity(factory, world)
    resident = api("res_a")
    page = resident.demand(walk.demand_id)
    assert page["steps"] == [] and [(c["step"], c["code"]) for c in page["closed"]] == [("volunteer", "ended")]
    assert page["closed"][0]["detail"].startswith("已于 ")  # why, to show in the button's place
    english = api("res_a", language="en").demand(walk.demand_id)["closed"][0]["detail"]
    assert english.isascii() and english
    assert walk.demand_id not in [d["id"] for d in resident.hall()]
    with pytest.raises(ApiError) as refused:
        resident.step(walk.demand_id, "volunteer")
    assert refused.value.status == 409 and refused.value.code == "ended"


def test_attendance_confirmed_after_the_end_counts_the_scheduled_hours(api, world, factory):
    walk = _ended_activity(factory, world)
    held = walk.held
    for user, step in [("orgadm1", "grab"), ("mem1", "sign_up"), ("cadm_a", "begin")]:
        walk.act(user, step, now=held)  # the sheet was filled on the day, typed in three days later
    admin = api("cadm_a")
    for step in ("sign_in", "sign_out"):
        admin.post(f"/demands/{walk.demand_id}/attendance", {"step": step, "user_id": world["mem1"]})
    with factory() as s:
        record = s.scalars(select(ServiceRecord).where(ServiceRecord.demand_id == walk.demand_id)).one()
        assert float(record.hours) == 2 and record.signed_in_at == held
