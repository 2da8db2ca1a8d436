"""The answers only a particular situation reaches, one test each (test_statuses.py probes
those every operation gives by its shape; test_zz_statuses.py checks that together they reach
every status the document promises)."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from admin.api.client import ApiError
from flows.points import ledger
from schemas.tables import ApiReplay, Booking, Demand, Order, ShopItem


def _refused(call, *args, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as refused:
        call(*args, **kwargs)
    return refused.value


def test_a_start_somewhere_i_may_not_start_is_403_and_where_no_community_is_409(api, world):
    resident = api("res_a")
    wish = next(s for s in resident.startables() if s["code"] == "micro_wish")
    elsewhere = _refused(resident.start, wish["task_type_id"], {"title": "x"}, community_id=world["cb"])
    assert elsewhere.status == 403
    nowhere = _refused(resident.start, wish["task_type_id"], {"title": "x"}, community_id=world["d1"])
    assert nowhere.status == 409 and nowhere.code == "community"


def test_an_answer_kept_past_its_day_is_given_by_the_door_once_more_as_200(api, world, factory):
    """The API keeps an answer a day; the door's own one-time key outlives it: the same key after
    that is answered 200 with the first demand, never a second one."""
    resident = api("res_a")
    wish = next(s for s in resident.startables() if s["code"] == "micro_wish")
    first = resident.start(wish["task_type_id"], {"title": "修门"}, key="late-1")
    booked = resident.post(f"/slots/{world['slot']}/book", {"note": "上午"}, key="late-2")
    with factory() as s, s.begin():
        s.execute(delete(ApiReplay))
    sent = {"values": {"title": "修门"}, "community_id": None}
    again = resident._send("POST", f"/start/{wish['task_type_id']}", json=sent, headers={"Idempotency-Key": "late-1"})
    assert again.status_code == 200 and again.json()["demand_id"] == first["demand_id"] and again.json()["replayed"]
    rebooked = resident._send("POST", f"/slots/{world['slot']}/book", json={"note": "上午"},
                              headers={"Idempotency-Key": "late-2"})
    assert rebooked.status_code == 200 and rebooked.json()["demand_id"] == booked["demand_id"]
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Demand).where(Demand.requester_id == world["res_a"])) == 2
        assert s.scalar(select(func.count()).select_from(Booking).where(Booking.slot_id == world["slot"])) == 1


def test_a_second_booking_of_a_slot_i_hold_is_409(api, world, factory):
    resident = api("res_a")
    resident.post(f"/slots/{world['slot']}/book", {})
    again = _refused(resident.post, f"/slots/{world['slot']}/book", {})
    assert again.status == 409 and again.code == "slot_held"
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Booking).where(Booking.slot_id == world["slot"])) == 1


def test_redeeming_what_is_not_mine_is_404_and_beyond_my_points_409(api, world, factory):
    with factory() as s, s.begin():
        mine, theirs = ShopItem(community_id=world["ca"], name="大米", price=50, stock=3), ShopItem(
            community_id=world["cb"], name="面粉", price=1, stock=3)
        s.add_all([mine, theirs])
    member = api("mem1")
    assert _refused(member.redeem, theirs.id).status == 404
    assert _refused(member.redeem, 2**31 - 1).status == 404
    poor = _refused(member.redeem, mine.id)
    assert poor.status == 409
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 0
        assert ledger.balance(s, world["mem1"]) == 0 and s.get(ShopItem, mine.id).stock == 3


def test_marking_a_message_read(api, world, factory):
    """The resident's wish is published: a message arrives; marking it read answers the message."""
    resident, admin = api("res_a"), api("cadm_a")
    wish = next(s for s in resident.startables() if s["code"] == "micro_wish")
    admin.step(resident.start(wish["task_type_id"], {"title": "修窗"})["demand_id"], "publish")
    unread = [m for m in resident.messages()["items"] if not m["read"]]
    assert unread
    read = resident.post(f"/me/messages/{unread[0]['id']}/read")
    assert read["id"] == unread[0]["id"] and read["read"] is True
    assert _refused(api("res_b").post, f"/me/messages/{unread[0]['id']}/read").status == 404
    # the same message in the language the app asks for now
    assert unread[0]["title"] == "您的心愿已发布：修窗"
    english = api("res_a", language="en").messages()["items"][0]["title"]
    assert "修窗" in english and english.replace("修窗", "").isascii()
