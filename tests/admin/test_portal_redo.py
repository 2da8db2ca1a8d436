"""The portal's part of issue #13 over HTTP: forms sent twice, re-doing after undoing, step
forms only for who may send them, the QR codes, skills, the service record and the home menu."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from flows.points import ledger
from schemas.tables import AppointmentSlot, Demand, Member, Order, ServiceRecord, ShopItem
from tests.flows.walker import Walker


def _key(page: str) -> str:
    return re.search(r'name="request_key" value="([^"]+)"', page).group(1)


def test_a_wish_form_sent_twice_makes_one_wish(login, world, factory):
    resident = login("res_a")
    page = resident.get("/new/micro_wish").get_data(as_text=True)
    form = {"community_id": world["ca"], "title": "买菜", "request_key": _key(page)}
    first = resident.post("/new/micro_wish", data=form, follow_redirects=True).get_data(as_text=True)
    again = resident.post("/new/micro_wish", data=form, follow_redirects=True).get_data(as_text=True)
    assert "发布心愿成功" in first and "已提交过，未重复处理" in again
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Demand).where(Demand.title == "买菜")) == 1
    english = resident.post("/new/micro_wish?lang=en", data=form, follow_redirects=True).get_data(as_text=True)
    assert "Already submitted; nothing was done again" in english


def test_service_hours_sent_twice_are_counted_once(login, world, factory):
    walk = Walker(factory, world)
    walk.start("cadm_a", "volunteer", {"title": "探访", "description": "d", "capacity": 2})
    walk.act("mem1", "join")
    member = login("mem1")
    page = member.get(f"/d/{walk.demand_id}/step/report").get_data(as_text=True)
    form = {"hours": "2", "note": "探访", "request_key": _key(page)}
    for _ in range(3):
        member.post(f"/d/{walk.demand_id}/step/report", data=form)
    with factory() as s:
        assert s.scalar(select(ServiceRecord.hours)) == 2
    assert _key(member.get(f"/d/{walk.demand_id}/step/report").get_data(as_text=True)) != form["request_key"]


def test_every_step_that_ends_a_demand_asks_first(login, world, factory):
    """Ending a demand cannot be undone, whether at once (撤回心愿) or through automated steps
    only (结算积分 → 结算中 → 已结束) or by a form (不予发布): the step's page says so and
    offers the way back; only its POST does it."""
    walk = Walker(factory, world)
    walk.start("cadm_a", "volunteer", {"title": "全年探访", "description": "d", "capacity": 2})
    admin = login("cadm_a")
    shown = admin.get(f"/d/{walk.demand_id}").get_data(as_text=True)
    assert f'action="/d/{walk.demand_id}/step/settle"' in shown and 'method="get"' in shown
    asked = admin.get(f"/d/{walk.demand_id}/step/settle").get_data(as_text=True)
    assert "结算积分后，这件事就结束了，不能恢复。确定吗？" in asked and "确定结算积分" in asked and "不了，返回" in asked
    assert walk.state() == "open"  # asking changed nothing
    admin.post(f"/d/{walk.demand_id}/step/settle", data={"request_key": _key(asked)})
    assert walk.state() != "open"
    back = admin.get(f"/d/{walk.demand_id}/step/settle", follow_redirects=True).get_data(as_text=True)
    assert "您已经结算积分了" in back and "不能结算积分" not in back  # the Back button: done, not an error
    wish = Walker(factory, world)
    wish.start("res_a", "micro_wish", {"title": "修门"})
    form = admin.get(f"/d/{wish.demand_id}/step/reject").get_data(as_text=True)
    assert "不予发布后，这件事就结束了，不能恢复。" in form and "不了，返回" in form and 'name="reason"' in form
    publish = admin.get(f"/d/{wish.demand_id}").get_data(as_text=True)  # 审核发布 goes on: one tap, as before
    assert f'action="/d/{wish.demand_id}/step/publish"' in publish
    assert f'method="post" action="/d/{wish.demand_id}/step/publish"' in publish


def test_step_form_only_for_who_may_send_it(login, world, factory):
    walk = Walker(factory, world)
    walk.start("res_a", "appointment", {"title": "理发"}, slot=world["slot"])
    refused = login("res_a").get(f"/d/{walk.demand_id}/step/assign", follow_redirects=True)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "您没有权限做这一步" in body and 'name="assignee"' not in body
    shown = login("cadm_a").get(f"/d/{walk.demand_id}/step/assign").get_data(as_text=True)
    assert 'name="assignee"' in shown and "mem1（水电维修）" in shown  # each with their skills, to choose by


def test_booking_held_slot_rebooking_and_the_plain_refusal(login, world, factory):
    with factory() as s, s.begin():
        slot = s.get(AppointmentSlot, world["slot"])
        slot.starts_at = datetime.now(UTC) + timedelta(days=1)
        slot.ends_at = slot.starts_at + timedelta(hours=1)
    resident = login("res_a")
    page = resident.get("/book").get_data(as_text=True)
    booked = resident.post(f"/book/{world['slot']}", data={"request_key": "k-1"}, follow_redirects=True)
    assert "预约成功" in booked.get_data(as_text=True)
    marked = resident.get("/book").get_data(as_text=True)
    assert "已预约" in marked and "查看我的预约" in marked and "已预约" not in page
    twice = resident.post(f"/book/{world['slot']}", data={"request_key": "k-2"}, follow_redirects=True)
    assert twice.status_code == 200 and "您已预约了这个时段，不用再约" in twice.get_data(as_text=True)
    with factory() as s:
        demand_id = s.scalar(select(Demand.id).where(Demand.requester_id == world["res_a"]))
    shown = resident.get(f"/d/{demand_id}").get_data(as_text=True)
    assert f'action="/d/{demand_id}/step/cancel"' in shown and 'method="get"' in shown  # a tap asks first
    asked = resident.get(f"/d/{demand_id}/step/cancel").get_data(as_text=True)
    assert "取消预约后，这件事就结束了，不能恢复。确定吗？" in asked and "确定取消预约" in asked
    with factory() as s:
        assert s.get(Demand, demand_id).state != "cancelled"  # asking changed nothing
    resident.post(f"/d/{demand_id}/step/cancel", data={"request_key": "k-3"})
    with factory() as s:
        assert s.get(Demand, demand_id).state == "cancelled"
    again = resident.post(f"/book/{world['slot']}", data={"request_key": "k-4"}, follow_redirects=True)
    assert "预约成功" in again.get_data(as_text=True)
    with factory() as s:
        assert s.get(AppointmentSlot, world["slot"]).booked == 1


def test_no_door_code_before_anyone_can_join(login, world, factory):
    """A draft activity has nobody on it and nobody can join it yet: no 签到二维码 to print."""
    start = datetime.now(UTC) + timedelta(days=2)
    walk = Walker(factory, world)
    walk.start("cadm_a", "env_cleanup", {
        "title": "草稿", "description": "d", "place": "p", "capacity": 3, "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat()})
    admin = login("cadm_a")
    assert "签到二维码" not in admin.get(f"/d/{walk.demand_id}").get_data(as_text=True)
    assert admin.get(f"/d/{walk.demand_id}/qr").status_code == 404
    walk.act("cadm_a", "publish")  # published: an organisation may grab it and bring its people
    assert "签到二维码" in admin.get(f"/d/{walk.demand_id}").get_data(as_text=True)
    assert admin.get(f"/d/{walk.demand_id}/qr").status_code == 200


def test_qr_codes_are_images_a_camera_reads(login, world, factory):
    start = datetime.now(UTC) + timedelta(minutes=30)
    walk = Walker(factory, world).recruiting_activity("清雪", 3, start)
    admin = login("cadm_a")
    demand_page = admin.get(f"/d/{walk.demand_id}").get_data(as_text=True)
    assert f"/d/{walk.demand_id}/qr" in demand_page and "签到二维码" in demand_page
    page = admin.get(f"/d/{walk.demand_id}/qr").get_data(as_text=True)
    assert f"/d/{walk.demand_id}/here?code=" in page and f"/d/{walk.demand_id}/qr.svg" in page
    svg = admin.get(f"/d/{walk.demand_id}/qr.svg")
    assert svg.headers["Content-Type"].startswith("image/svg+xml")
    assert b'xmlns="http://www.w3.org/2000/svg"' in svg.data
    assert f"/d/{walk.demand_id}/qr" not in login("mem1").get(f"/d/{walk.demand_id}").get_data(as_text=True)
    walk.act("cadm_a", "cancel")  # a cancelled activity: nobody will sign in, so no code to show
    assert "签到二维码" not in admin.get(f"/d/{walk.demand_id}").get_data(as_text=True)
    assert admin.get(f"/d/{walk.demand_id}/qr").status_code == 404
    assert admin.get(f"/d/{walk.demand_id}/qr.svg").status_code == 404
    with factory() as s:
        s.add(ShopItem(community_id=world["ca"], name="毛巾", price=1, stock=5))
        ledger.post(s, "gift", ledger.PostingKind.AWARD, "奖励", [
            ledger.Move(ledger.issuance_account(s), -1), ledger.Move(ledger.user_account(s, world["mem1"]), 1)])
        s.commit()
        item_id = s.scalar(select(ShopItem.id))
    member = login("mem1")
    member.post(f"/shop/{item_id}/redeem", data={"request_key": "o1"})
    with factory() as s:
        order_id = s.scalar(select(Order.id))
    assert f"/orders/{order_id}/qr.svg" in member.get("/orders").get_data(as_text=True)
    pickup = member.get(f"/orders/{order_id}/qr.svg")
    assert pickup.headers["Content-Type"] == "image/svg+xml" and b'xmlns="http://www.w3.org/2000/svg"' in pickup.data


def test_member_edits_skills_and_sees_the_service_record(login, world, factory):
    member = login("mem2")
    assert "我的技能" in member.get("/me").get_data(as_text=True)
    member.post("/me/skills", data={"skills": ["repair"]})
    with factory() as s:
        assert [k.code for k in s.get(Member, world["mem2"]).skills] == ["repair"]
    bad = member.post("/me/skills", data={"skills": ["flying"]}, follow_redirects=True)
    assert "请从列表中选择技能" in bad.get_data(as_text=True)
    walk = Walker(factory, world)
    walk.start("cadm_a", "volunteer", {"title": "图书角", "description": "d", "capacity": 2})
    walk.act("mem2", "join")
    walk.act("mem2", "report", {"hours": 3, "note": "值守"})
    walk.act("cadm_a", "settle")
    me = member.get("/me").get_data(as_text=True)
    assert "3.0 小时" in me and "服务 1 次" in me and "获得 15 积分" in me
    assert "served 1 time ·" in member.get("/me?lang=en").get_data(as_text=True)  # not "1 times"
    member.get("/me?lang=zh")
    record = member.get("/me/service").get_data(as_text=True)
    assert "图书角" in record and "+15" in record
    assert "我的技能" not in login("res_a").get("/me").get_data(as_text=True)


def test_home_offers_what_each_role_may_start(login, world):
    resident = login("res_a").get("/").get_data(as_text=True)
    assert 'href="/new/micro_wish"' in resident and "/book" in resident and "/new/env_cleanup" not in resident
    city = login("cityadm").get("/").get_data(as_text=True)
    # an admin starts from the 发布 menu (every task type they may start, and 代办 for residents)
    assert 'href="/new/micro_wish"' not in city and 'href="/publish"' in city
    member = login("mem1").get("/").get_data(as_text=True)
    assert 'href="/new/micro_wish"' not in member and 'href="/checkin"' in member
    assert 'href="/checkin"' not in resident


def test_the_new_pages_read_in_english(login, world, factory):
    """Every sentence these pages add comes through the catalogue (the data stays Chinese)."""
    with factory() as s, s.begin():
        slot = s.get(AppointmentSlot, world["slot"])
        slot.starts_at = datetime.now(UTC) + timedelta(days=1)
        slot.ends_at = slot.starts_at + timedelta(hours=1)
    walk = Walker(factory, world).recruiting_activity("清雪", 3, datetime.now(UTC) + timedelta(hours=5))
    resident = login("res_a")
    resident.post(f"/book/{world['slot']}", data={"request_key": "en-1"})
    member, admin = login("mem1"), login("cadm_a")
    pages = [(resident, "/book", "View my booking"), (resident, "/me", "Service record"),
             (member, "/me/skills", "Save skills"), (member, "/me/service", "Service record"),
             (admin, f"/d/{walk.demand_id}", "QR code"), (admin, f"/d/{walk.demand_id}/qr", "Participants scan")]
    for client, url, english in pages:
        body = client.get(f"{url}?lang=en").get_data(as_text=True)
        assert english in body, url
        for chinese in ("服务记录", "我的技能", "保存技能", "查看我的预约", "二维码", "参加者用手机", "小时"):
            assert chinese not in body, (url, chinese)
