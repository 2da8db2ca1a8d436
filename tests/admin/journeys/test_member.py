"""An in-service member's journeys, each from their home page by tapping, on a phone in
Chinese: report in to a community; find and claim a volunteer item; sign in by the QR code
within the activity's window (and be refused outside it); serve with hours and a photo; sign
out; withdraw and sign up again; edit one's skills; see one's service record and spend the
points. The database is checked after each."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from flows.people import accounts
from flows.people.actors import load_actor
from flows.points import ledger
from schemas.tables import (
    Claim,
    ClaimStatus,
    Event,
    Member,
    MemberRegistration,
    Order,
    OrderStatus,
    RegistrationStatus,
    ServiceRecord,
    ShopItem,
)
from tests.admin.journeys.people import ARTIFACTS, PNG, Person, needs_browser, qr_rows
from tests.flows.walker import Walker

pytestmark = needs_browser


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _activity(factory, world, title: str, start: datetime, *, begun: bool = True) -> Walker:
    """An activity of 旭日社区 grabbed by org1, mem1 signed up; begun by the community. Set up
    a day before its start (one in the past is set up back then, as an import passes its time)."""
    walk, then = Walker(factory, world), min(_now(), start - timedelta(days=1))
    walk.start("cadm_a", "env_cleanup", {"title": title, "description": "清理楼道杂物", "place": "旭日社区广场",
                                         "capacity": 5, "starts_at": start.isoformat(),
                                         "ends_at": (start + timedelta(hours=2)).isoformat()}, now=then)
    walk.act("cadm_a", "publish", now=then)
    walk.act("orgadm1", "grab", now=then)
    walk.act("mem1", "sign_up", now=then)
    if begun:
        walk.act("cadm_a", "begin", now=min(_now(), start))  # 开始活动 opens a day before, closes at its end
    return walk


def _volunteer_item(factory, world, title: str, **extra) -> Walker:
    walk = Walker(factory, world)
    walk.start("cadm_a", "volunteer", {"title": title, "description": "每周上门", "capacity": 5, **extra})
    return walk


def _record(factory, demand_id: int, user_id: int) -> ServiceRecord | None:
    with factory() as s:
        return s.scalar(select(ServiceRecord).where(ServiceRecord.demand_id == demand_id,
                                                    ServiceRecord.user_id == user_id))


def test_member_reports_in_to_a_community(browser, server, world, factory):
    item = _volunteer_item(factory, world, "旭日社区图书角值守")
    member = Person(browser, server, "mem3", ARTIFACTS / "member_report_in")  # lives in 站前社区 so far
    member.follow("任务大厅")
    assert not member.says("旭日社区图书角值守")
    member.home()
    member.follow("报到")
    member.page.select_option("select[name=community_id]", label="旭日社区")
    member.shot("report-in")
    member.tap("提交报到")
    assert "报到申请已提交，等待社区审核" in member.flash()
    with factory() as s:
        registration = s.scalar(select(MemberRegistration).where(MemberRegistration.member_id == world["mem3"],
                                                                 MemberRegistration.community_id == world["ca"]))
        assert registration.status is RegistrationStatus.PENDING
        accounts.decide(s, load_actor(s, world["cadm_a"]), "member", registration.id, True)  # the community approves
    member.home()
    member.follow("任务大厅")
    assert member.says("旭日社区图书角值守")
    member.shot("hall")
    member.close()
    with factory() as s:
        assert s.get(MemberRegistration, registration.id).status is RegistrationStatus.APPROVED
    assert item.state() == "open"


def test_member_sent_back_reads_why_and_reports_in_again(browser, server, world, factory):
    member = Person(browser, server, "mem3", ARTIFACTS / "member_report_in_again")
    member.follow("报到")
    member.page.select_option("select[name=community_id]", label="旭日社区")
    member.tap("提交报到")
    assert member.says("我的报到") and member.says("待社区审核")
    with factory() as s:
        registration = s.scalar(select(MemberRegistration).where(MemberRegistration.member_id == world["mem3"],
                                                                 MemberRegistration.community_id == world["ca"]))
        accounts.decide(s, load_actor(s, world["cadm_a"]), "member", registration.id, False,
                        reason="请先到站前社区办理转出")
    member.home()
    member.follow("报到")  # why, where the member reports in again (the message may be long read)
    assert member.says("未通过") and member.says("原因：请先到站前社区办理转出")
    member.shot("sent-back")
    member.page.select_option("select[name=community_id]", label="旭日社区")
    member.tap("提交报到")
    assert "报到申请已提交，等待社区审核" in member.flash() and member.says("待社区审核")
    assert not member.says("原因：请先到站前社区办理转出")
    member.close()
    with factory() as s:
        again = s.get(MemberRegistration, registration.id)  # the same row, reopened; the decision stays in the log
        assert again.status is RegistrationStatus.PENDING
        assert s.scalar(select(func.count()).select_from(Event).where(
            Event.subject == "member_registrations", Event.subject_id == registration.id, Event.step == "reject")) == 1


def test_member_finds_and_claims_a_volunteer_item(browser, server, world, factory):
    item = _volunteer_item(factory, world, "独居老人每周探访")
    member = Person(browser, server, "mem1", ARTIFACTS / "member_claim_item")
    member.follow("任务大厅")
    member.shot("hall")
    member.follow("独居老人每周探访")  # was a 404: its open state was taken for a review
    assert member.says("招募中") and member.says("0/5")
    member.tap("认领事项")
    assert "认领事项成功" in member.flash() and member.says("1/5")
    member.shot("claimed")
    member.close()
    with factory() as s:
        assert s.scalars(select(Claim.status).where(Claim.demand_id == item.demand_id,
                                                    Claim.user_id == world["mem1"])).all() == [ClaimStatus.ACTIVE]


def test_member_signs_in_by_qr_within_the_window_and_not_outside_it(browser, server, world, factory):
    soon = _activity(factory, world, "社区植树", _now() + timedelta(minutes=30))
    late = _activity(factory, world, "上月的清雪", _now() - timedelta(days=12))
    admin = Person(browser, server, "cadm_a", ARTIFACTS / "member_qr_sign_in")
    member = Person(browser, server, "mem1", ARTIFACTS / "member_qr_sign_in")
    links = {}
    for walk, title in ((soon, "社区植树"), (late, "上月的清雪")):
        admin.home()
        admin.tab("我的")
        admin.follow(title)
        admin.follow("签到二维码")
        assert admin.image_drawn("#qr")
        links[title] = admin.page.inner_text("#qr-link")
        assert f"/d/{walk.demand_id}/here?code=" in links[title]  # the code shows the scanner is at the door
        assert admin.qr_modules("#qr", scale=8) == qr_rows(links[title])  # what a phone camera reads
        admin.shot(f"qr-{walk.demand_id}")
    member.scan(links["社区植树"])
    assert "已确认您在活动现场" in member.flash() and member.says("社区植树")
    member.tap("签到")
    assert "签到成功" in member.flash()
    member.shot("signed-in")
    member.scan(links["上月的清雪"])  # twelve days late
    assert "不在办理时间内" in member.flash() and not member.page.get_by_role("button", name="签到").count()
    member.shot("too-late")
    admin.close()
    member.close()
    assert _record(factory, soon.demand_id, world["mem1"]).signed_in_at is not None
    assert _record(factory, late.demand_id, world["mem1"]) is None


def test_member_serves_with_hours_and_a_photo(browser, server, world, factory):
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "帮独居老人换灯泡"})
    walk.act("cadm_a", "publish")
    walk.act("mem1", "claim")
    member = Person(browser, server, "mem1", ARTIFACTS / "member_serve")
    member.tab("我的")
    member.follow("帮独居老人换灯泡")
    member.follow("完成服务")
    member.page.fill("#f-hours", "2")
    member.page.fill("#f-note", "换了灯泡和开关")
    # a phone photo over the field's 5 MB: refused on the phone, nothing typed is lost (it was a 413 page)
    member.page.set_input_files("#f-photo", files=[{"name": "big.jpg", "mimeType": "image/jpeg",
                                                    "buffer": b"\xff\xd8" + b"0" * (6 * 1024 * 1024)}])
    assert "照片太大（最多 5 MB）" in member.page.inner_text(".upload-too-big")
    assert member.page.eval_on_selector("#f-photo", "e => e.files.length") == 0
    assert member.page.input_value("#f-hours") == "2" and member.page.input_value("#f-note") == "换了灯泡和开关"
    member.shot("photo-too-big")
    member.page.set_input_files("#f-photo", files=[{"name": "proof.png", "mimeType": "image/png", "buffer": PNG}])
    assert not member.page.locator(".upload-too-big").count()
    member.shot("form")
    member.tap("完成服务")
    assert "完成服务成功" in member.flash() and member.says("待评价") and member.says("现场照片")
    member.shot("served")
    member.back()  # the back button: the form is not shown again once the step is done
    assert "您已经完成服务了" in member.flash() and member.says("待评价")  # said as done, not as refused
    member.shot("back")
    member.close()
    record = _record(factory, walk.demand_id, world["mem1"])
    assert record.hours == 2 and record.proof and record.note == "换了灯泡和开关"
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Event).where(Event.demand_id == walk.demand_id,
                                                                      Event.step == "serve")) == 1


def test_member_signs_out(browser, server, world, factory):
    """Away from the door 签退 is refused (a scan shows presence); the QR code scanned again on
    leaving opens 签退, not 签到."""
    walk = _activity(factory, world, "助老义剪", _now() + timedelta(minutes=20))
    walk.act("mem1", "sign_in", now=_now())
    admin = Person(browser, server, "cadm_a", ARTIFACTS / "member_sign_out")
    admin.tab("我的")
    admin.follow("助老义剪")
    admin.follow("签到二维码")
    link = admin.page.inner_text("#qr-link")
    admin.close()
    member = Person(browser, server, "mem1", ARTIFACTS / "member_sign_out")
    member.tab("我的")
    member.follow("助老义剪")
    member.tap("签退")
    assert "请在活动现场扫描签到二维码" in member.flash()
    member.shot("away")
    assert _record(factory, walk.demand_id, world["mem1"]).signed_out_at is None
    member.scan(link)
    assert "已确认您在活动现场" in member.flash()
    member.tap("签退")
    assert "签退成功" in member.flash()
    member.shot("signed-out")
    member.close()
    record = _record(factory, walk.demand_id, world["mem1"])
    assert record.signed_out_at is not None and record.hours is not None
    # once it has started (its start is 20 minutes away): nobody signs in or out any more, the door's code is gone
    walk.act("cadm_a", "finish", now=_now() + timedelta(minutes=30))
    admin = Person(browser, server, "cadm_a", ARTIFACTS / "member_sign_out")
    admin.tab("我的")
    admin.follow("助老义剪")
    assert admin.says("待评价") and not admin.says("签到二维码")
    admin.close()
    assert not admin.failures


def test_member_withdraws_and_signs_up_again(browser, server, world, factory):
    walk = _activity(factory, world, "周末清雪", _now() + timedelta(days=3), begun=False)
    member = Person(browser, server, "mem1", ARTIFACTS / "member_withdraw")
    member.tab("我的")
    member.follow("周末清雪")
    member.tap("取消报名")
    assert "取消报名成功" in member.flash()
    member.shot("withdrawn")
    member.home()
    member.follow("任务大厅")  # the activity his organisation grabbed
    member.follow("周末清雪")
    member.tap("报名", exact=True)
    assert "报名成功" in member.flash()
    member.shot("signed-up-again")
    member.close()
    with factory() as s:
        assert s.scalars(select(Claim.status).where(Claim.demand_id == walk.demand_id, Claim.user_id == world["mem1"])
                         .order_by(Claim.id)).all() == [ClaimStatus.WITHDRAWN, ClaimStatus.ACTIVE]


def test_member_edits_skills(browser, server, world, factory):
    _volunteer_item(factory, world, "楼道灯维修", required_skills=["repair"])
    member = Person(browser, server, "mem2", ARTIFACTS / "member_skills")
    member.follow("任务大厅")
    assert member.says("楼道灯维修") and not member.says("匹配你的技能")
    member.follow("楼道灯维修")  # the page says what is missing, and leads to it
    assert member.says("需要技能：水电维修") and not member.page.get_by_role("button", name="认领事项").count()
    member.shot("skill-missing")
    member.follow("我的技能")
    member.page.get_by_label("水电维修").check()
    member.shot("skills")
    member.tap("保存技能")
    assert "技能已保存" in member.flash()
    member.tab("大厅")
    assert member.says("匹配你的技能")
    member.follow("楼道灯维修")
    member.tap("认领事项")  # the skills guard reads today's skills
    assert "认领事项成功" in member.flash()
    member.shot("claimed")
    member.close()
    with factory() as s:
        assert [k.code for k in s.get(Member, world["mem2"]).skills] == ["repair"]


def test_member_sees_the_service_record_and_spends_points(browser, server, world, factory):
    walk = _volunteer_item(factory, world, "社区图书角值守")
    walk.act("mem1", "join")
    with factory() as s, s.begin():
        s.add(ShopItem(community_id=world["ca"], name="洗衣粉", price=8, stock=3))
    member = Person(browser, server, "mem1", ARTIFACTS / "member_record_and_shop")
    member.tab("我的")
    member.follow("社区图书角值守")
    member.follow("记录服务")
    member.page.fill("#f-hours", "2")
    member.page.fill("#f-note", "整理图书")
    member.tap("记录服务")
    assert "记录服务成功" in member.flash()
    member.back()  # the form again, as typed (reloaded with a fresh key): sent again, counted once
    assert member.page.input_value("#f-hours") == "2"
    member.tap("记录服务")
    assert "已提交过，未重复处理" in member.flash()
    member.shot("reported-once")
    assert _record(factory, walk.demand_id, world["mem1"]).hours == 2
    walk.act("cadm_a", "settle")
    member.home()
    member.tab("我的")
    assert member.says("2.0 小时") and member.says("服务 1 次") and member.says("获得 10 积分")
    member.follow("查看服务记录")
    assert member.says("社区图书角值守") and member.says("+10")
    member.shot("record")
    member.tab("积分超市")
    member.tap("兑换")
    assert "兑换成功" in member.flash()
    with factory() as s:
        order = s.scalar(select(Order).where(Order.user_id == world["mem1"]))
    assert member.image_drawn(f"img[src$='/orders/{order.id}/qr.svg']")
    member.shot("order")
    with factory() as s:
        assert ledger.balance(s, world["mem1"]) == 2
    member.follow("取消订单")  # asks first, and the way back changes nothing
    assert member.says("确定吗")
    member.follow("不了，返回")
    with factory() as s:
        assert s.get(Order, order.id).status is OrderStatus.RESERVED
    member.follow("取消订单")
    member.shot("cancel-asks")
    member.tap("确定取消订单")
    assert "订单已取消，积分已退回" in member.flash() and member.says("已取消")
    member.back()  # the question again after it was answered: back to the orders, nothing twice
    member.page.reload()
    member.close()
    with factory() as s:
        assert s.get(Order, order.id).status is OrderStatus.CANCELLED
        assert ledger.balance(s, world["mem1"]) == 10
        assert s.scalar(select(ShopItem.stock).where(ShopItem.name == "洗衣粉")) == 3
