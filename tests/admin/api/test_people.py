"""Reporting in and its approval, appointment bookings and the directory over the API."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from admin.api.client import ApiError
from schemas.tables import Booking, DirectoryEntry, MemberRegistration, RegistrationStatus


def test_report_in_and_the_admin_approves_once(api, world, factory):
    pending = api("mem_pending")
    communities = {c["name"]: c["id"] for c in pending.get("/communities")["items"]}
    assert world["cb"] in communities.values()
    made = pending.post("/me/registrations", {"community_id": world["cb"]})
    assert made["status"] == "pending" and made["kind"] == "member"
    with pytest.raises(ApiError) as twice:
        pending.post("/me/registrations", {"community_id": world["cb"]})
    assert twice.value.status == 409 and twice.value.code == "registration.pending"
    with pytest.raises(ApiError) as resident:
        api("res_a").post("/me/registrations", {"community_id": world["cb"]})
    assert resident.value.status == 403
    other = api("cadm_a")  # not this community's admin: neither listed nor decidable
    assert made["id"] not in [p["id"] for p in other.get("/approvals")["items"] if p["kind"] == "member"]
    with pytest.raises(ApiError) as not_mine:
        other.post(f"/approvals/member/{made['id']}", {"approve": True})
    assert not_mine.value.status == 404
    admin_b = api("cadm_b")
    assert made["id"] in [p["id"] for p in admin_b.get("/approvals")["items"] if p["kind"] == "member"]
    admin_b.post(f"/approvals/member/{made['id']}", {"approve": True})
    with factory() as s:
        assert s.get(MemberRegistration, made["id"]).status == RegistrationStatus.APPROVED


def test_the_pending_member_is_approved_by_their_admin(api, world, factory):
    admin = api("cadm_a")
    waiting = admin.get("/approvals")["items"]
    assert waiting and all(p["community"] for p in waiting)
    first = waiting[0]
    admin.post(f"/approvals/{first['kind']}/{first['id']}", {"approve": True})
    with pytest.raises(ApiError) as again:
        admin.post(f"/approvals/{first['kind']}/{first['id']}", {"approve": False, "reason": "重复报到"})
    assert again.value.status == 409 and again.value.code == "registration.decided"
    second = api("mem3").post("/me/registrations", {"community_id": world["ca"]})
    with pytest.raises(ApiError) as bare:  # a rejection says why
        admin.post(f"/approvals/member/{second['id']}", {"approve": False})
    assert bare.value.status == 422
    admin.post(f"/approvals/member/{second['id']}", {"approve": False, "reason": "不在本社区居住"})
    with factory() as s:
        assert s.get(MemberRegistration, second["id"]).status == RegistrationStatus.REJECTED


def test_book_a_slot_once(api, world, factory):
    resident = api("res_a")
    slots = resident.get("/slots")["items"]
    slot = next(s for s in slots if s["id"] == world["slot"])
    booked = resident.post(f"/slots/{slot['id']}/book", {"note": "下午来"}, key="book-1")
    assert booked["demand_id"] and booked["replayed"] is False
    assert resident.post(f"/slots/{slot['id']}/book", {"note": "下午来"}, key="book-1") == booked
    held = next(s for s in resident.get("/slots")["items"] if s["id"] == slot["id"])
    assert held["held_demand_id"] == booked["demand_id"]
    with factory() as s:
        assert len(s.scalars(select(Booking).where(Booking.slot_id == slot["id"])).all()) == 1
    with pytest.raises(ApiError) as elsewhere:
        api("res_b").post(f"/slots/{slot['id']}/book", {})
    assert elsewhere.value.status == 404


def test_directory_nearest_first(api, world, factory):
    from schemas.tables import DirectoryKind

    with factory() as s, s.begin():
        s.add(DirectoryEntry(community_id=world["ca"], kind=list(DirectoryKind)[0], name="便民超市", address="一号路"))
    found = api("res_a").get("/directory", q="超市")["items"]
    assert [e["name"] for e in found] == ["便民超市"]
    assert api("res_a").get("/directory", q="没有这家")["items"] == []
