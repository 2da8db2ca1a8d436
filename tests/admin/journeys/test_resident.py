"""A resident's journeys, each from their home page by tapping, on a phone in Chinese: post a
wish, follow it and rate it; book, cancel and re-book a slot; volunteer at a community activity
and earn points; spend them; see their own history (also in English). The database is checked
after each."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from flows.points import ledger
from schemas.clock import LOCAL_TZ
from schemas.tables import (
    AppointmentService,
    AppointmentSlot,
    Booking,
    BookingStatus,
    Demand,
    Evaluation,
    Order,
    OrderStatus,
    ServiceRecord,
    ShopItem,
    User,
)
from tests.admin.journeys.people import ARTIFACTS, Person, door_link, needs_browser, qr_rows
from tests.flows.walker import Walker

pytestmark = needs_browser


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _gift(factory, user_id: int, points: int, key: str) -> None:
    with factory() as s:
        ledger.post(s, key, ledger.PostingKind.AWARD, "社区奖励", [
            ledger.Move(ledger.issuance_account(s), -points), ledger.Move(ledger.user_account(s, user_id), points)])
        s.commit()


def test_resident_posts_a_wish_follows_it_and_rates_it(browser, server, world, factory):
    resident = Person(browser, server, "res_a", ARTIFACTS / "resident_wish")
    assert resident.says("预约服务") and not resident.says("创建活动")  # what a resident may start
    resident.shot("home")
    resident.follow("发布心愿")
    resident.page.fill("#f-title", "帮忙修理漏水的水龙头")
    resident.page.fill("#f-place", "5号楼3单元")
    resident.shot("form")
    resident.tap("发布心愿")
    assert "发布心愿成功" in resident.flash() and resident.says("待审核")
    resident.shot("posted")
    resident.back()  # the back button, and the same form sent again
    resident.tap("发布心愿")
    assert "已提交过，未重复处理" in resident.flash()
    with factory() as s:
        wishes = s.scalars(select(Demand).where(Demand.title == "帮忙修理漏水的水龙头")).all()
    assert len(wishes) == 1 and wishes[0].requester_id == world["res_a"]
    walk = Walker(factory, world)  # the community publishes it, a member serves it
    walk.demand_id = wishes[0].id
    walk.act("cadm_a", "publish")
    walk.act("mem1", "claim")
    walk.act("mem1", "serve", {"hours": 2, "note": "换了阀芯"})

    resident.home()
    resident.tab("我的")
    resident.follow("帮忙修理漏水的水龙头")
    assert resident.says("待评价") and resident.says("审核发布") and resident.says("认领")  # its progress
    resident.shot("follow")
    resident.follow("评价")
    resident.page.click("label[for=f-rating-5]")
    resident.page.fill("#f-comment", "师傅很细心，谢谢！")
    resident.shot("rate")
    resident.tap("评价")
    assert "评价成功" in resident.flash() and resident.says("已完成")
    resident.shot("done")
    resident.close()
    with factory() as s:
        assert s.get(Demand, walk.demand_id).state == "done"
        assert s.scalar(select(Evaluation.rating).where(Evaluation.demand_id == walk.demand_id,
                                                        Evaluation.by_user_id == world["res_a"])) == 5
        assert ledger.balance(s, world["mem1"]) == 17


def test_resident_books_cancels_and_rebooks_a_slot(browser, server, world, factory):
    with factory() as s, s.begin():
        slot = s.get(AppointmentSlot, world["slot"])
        slot.starts_at = _now() + timedelta(days=1)
        slot.ends_at = slot.starts_at + timedelta(hours=1)
    resident = Person(browser, server, "res_a", ARTIFACTS / "resident_booking")
    other_tab = resident.another_tab()  # the same page open twice on one phone
    resident.follow("预约服务")
    other_tab.follow("预约服务")
    resident.shot("slots")
    resident.tap("预约")
    assert "预约成功" in resident.flash() and resident.says("已预约")
    other_tab.tap("预约")  # the slot she now holds, from the older page
    assert "您已预约了这个时段，不用再约" in other_tab.flash()
    other_tab.shot("already-held")
    resident.home()
    resident.follow("预约服务")
    assert resident.says("已预约") and resident.says("查看我的预约")
    resident.shot("held")
    resident.follow("查看我的预约")
    resident.tap("取消预约")  # it cannot be undone: the page asks first, and 不了，返回 leaves it booked
    assert resident.says("取消预约后，这件事就结束了，不能恢复。确定吗？")
    resident.follow("不了，返回")
    assert resident.page.get_by_role("button", name="取消预约").count() == 1 and not resident.flash()
    resident.tap("取消预约")
    resident.tap("确定取消预约")
    assert "取消预约成功" in resident.flash() and resident.says("已取消")
    resident.home()
    resident.follow("预约服务")
    resident.tap("预约")
    assert "预约成功" in resident.flash()
    resident.shot("rebooked")
    with factory() as s, s.begin():  # another service at the same hour: she cannot be at both
        held = s.get_one(AppointmentSlot, world["slot"])
        counsel = AppointmentService(community_id=world["ca"], task_type_id=world["tt_appointment"], name="心理咨询")
        s.add(counsel)
        s.flush()
        s.add(AppointmentSlot(service_id=counsel.id, starts_at=held.starts_at, ends_at=held.ends_at, capacity=2))
    resident.home()
    resident.follow("预约服务")
    resident.page.locator("form.slot", has_text="心理咨询").get_by_role("button", name="预约").first.click()
    resident.page.wait_for_load_state()
    assert "已预约了“义务理发”，和这个时段重叠" in resident.flash()
    resident.shot("clash-refused")
    resident.close()
    with factory() as s:
        assert s.get(AppointmentSlot, world["slot"]).booked == 1
        assert s.scalars(select(Booking.status).where(Booking.user_id == world["res_a"]).order_by(Booking.id)
                         ).all() == [BookingStatus.CANCELLED, BookingStatus.BOOKED]


def test_resident_volunteers_at_a_community_activity_and_earns_points(app, browser, server, world, factory):
    start = _now() + timedelta(minutes=30)
    walk = Walker(factory, world)
    walk.start("cadm_a", "env_cleanup", {"title": "小区垃圾分类宣传", "description": "入户宣传", "place": "旭日社区",
                                         "capacity": 5, "starts_at": start.isoformat(),
                                         "ends_at": (start + timedelta(hours=2)).isoformat()})
    walk.act("cadm_a", "publish")
    walk.act("orgadm1", "grab")
    resident = Person(browser, server, "res_a", ARTIFACTS / "resident_volunteer")
    resident.follow("任务大厅")
    assert resident.says("小区垃圾分类宣传")
    resident.shot("hall")
    resident.follow("小区垃圾分类宣传")
    resident.tap("居民报名")
    assert "居民报名成功" in resident.flash()
    walk.act("cadm_a", "begin", now=_now())
    resident.home()
    resident.tab("我的")
    resident.follow("小区垃圾分类宣传")
    resident.scan(door_link(app, server, walk.demand_id))  # at the door: the QR code opens 签到
    resident.tap("签到")
    assert "签到成功" in resident.flash()
    resident.tap("签退")
    assert "签退成功" in resident.flash()
    resident.shot("served")
    walk.act("cadm_a", "finish", now=start + timedelta(hours=2))
    walk.act("cadm_a", "evaluate", {"rating": 5}, now=start + timedelta(hours=2))
    resident.home()
    resident.tab("我的")
    assert resident.page.locator(".big").first.inner_text().startswith("18")  # round(15 × 1.2)
    resident.follow("积分明细")
    assert resident.says("+18")
    resident.shot("points")
    with factory() as s, s.begin():
        s.add(ShopItem(community_id=world["ca"], name="环保购物袋", price=15, stock=2))
    resident.tab("积分超市")  # and the points buy something
    resident.tap("兑换")
    assert "兑换成功" in resident.flash()
    resident.shot("spent")
    resident.close()
    with factory() as s:
        record = s.scalar(select(ServiceRecord).where(ServiceRecord.user_id == world["res_a"]))
        assert record.signed_in_at is not None and record.signed_out_at is not None
        assert ledger.balance(s, world["res_a"]) == 3  # 18 earned, 15 spent


def test_resident_spends_points_in_the_supermarket(browser, server, world, factory):
    _gift(factory, world["res_a"], 50, "gift:res_a")
    with factory() as s, s.begin():
        s.add(ShopItem(community_id=world["ca"], name="食用油1L", price=30, stock=4))
    resident = Person(browser, server, "res_a", ARTIFACTS / "resident_shop")
    resident.tab("积分超市")
    assert resident.says("食用油1L") and resident.says("50")
    resident.shot("shop")
    resident.tap("兑换")
    assert "兑换成功" in resident.flash() and resident.says("待领取")
    with factory() as s:
        order = s.scalar(select(Order).where(Order.user_id == world["res_a"]))
    img = f"img[src$='/orders/{order.id}/qr.svg']"
    assert resident.image_drawn(img)
    assert resident.qr_modules(img, scale=5) == qr_rows(order.pickup_code)  # the counter's scanner reads it
    resident.shot("order")
    resident.close()
    with factory() as s:
        assert s.get(Order, order.id).status is OrderStatus.RESERVED
        assert ledger.balance(s, world["res_a"]) == 20


def test_a_second_redemption_after_the_back_button_asks_first(browser, server, world, factory):
    _gift(factory, world["res_a"], 50, "gift:res_a:twice")
    with factory() as s, s.begin():
        s.add(ShopItem(community_id=world["ca"], name="笔记本", price=10, stock=5))
    resident = Person(browser, server, "res_a", ARTIFACTS / "resident_shop_twice")
    resident.tab("积分超市")
    resident.tap("兑换")
    assert "兑换成功" in resident.flash()
    resident.back()  # the shop again, fetched anew: its 兑换 is a new request
    resident.tap("兑换")
    assert resident.says("刚兑换过笔记本") and resident.says("还要再兑换一份吗")
    resident.shot("asked")
    resident.follow("不了，返回")
    assert resident.page.url.endswith("/orders")
    with factory() as s:
        assert len(s.scalars(select(Order).where(Order.user_id == world["res_a"])).all()) == 1
        assert ledger.balance(s, world["res_a"]) == 40
    resident.close()


def test_resident_sees_own_history_in_chinese_and_english(browser, server, world, factory):
    walk = Walker(factory, world).rated_wish("给老人买菜", 5)
    _gift(factory, world["res_a"], 12, "gift:history")
    resident = Person(browser, server, "res_a", ARTIFACTS / "resident_history")
    resident.tab("我的")
    assert resident.says("给老人买菜") and resident.says("已完成") and resident.says("12")
    resident.shot("me")
    resident.follow("积分明细")
    assert resident.says("社区奖励") and resident.says("+12")
    resident.page.get_by_role("link", name="EN", exact=True).click()
    resident.page.wait_for_load_state()
    assert resident.says("Points history")
    resident.shot("points-en")
    resident.tab("Me")
    assert resident.says("Service record") and resident.says("给老人买菜")
    resident.follow("给老人买菜")
    assert resident.page.locator("html").get_attribute("lang") == "en"
    resident.shot("wish-en")
    resident.close()
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Demand).where(Demand.requester_id == world["res_a"])) == 1
        assert s.get(Demand, walk.demand_id).state == "done"


def test_resident_leaves_a_phone_number_the_member_who_claims_the_wish_can_call(browser, server, world, factory):
    """The message says the member will get in touch; a self-registered resident had nowhere to
    give a number. 我的 → 账号与安全 → 联系电话: a wrong number is refused in plain Chinese, a right
    one is kept; the member who claims the wish sees it as a link to call, another member does not."""
    resident = Person(browser, server, "res_a", ARTIFACTS / "resident_phone")
    resident.tab("我的")
    resident.follow("账号与安全")
    resident.page.fill("#f-phone", "12345")
    resident.tap("保存电话")
    assert resident.says("请填写手机号或带区号的电话")
    resident.page.fill("#f-phone", "139 0458 1234")
    resident.tap("保存电话")
    assert "联系电话已保存" in resident.flash()
    resident.shot("phone-kept")
    with factory() as s:
        assert s.get_one(User, world["res_a"]).phone == "13904581234"
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "帮忙换灯泡"})
    walk.act("cadm_a", "publish")
    walk.act("mem1", "claim")
    member = Person(browser, server, "mem1", ARTIFACTS / "resident_phone")
    member.tab("我的")
    member.follow("帮忙换灯泡")
    assert member.page.locator("#requester a[href='tel:13904581234']").count() == 1
    member.shot("member-sees-phone")
    other = Person(browser, server, "mem2", ARTIFACTS / "resident_phone")
    other.page.goto(f"{server}/d/{walk.demand_id}")  # the wish's address, typed by someone not in it
    assert "13904581234" not in other.page.content()


def test_new_resident_gives_a_phone_number_at_sign_up(browser, server, world, factory):
    """Sign-up asks (optionally) for the number the member who takes up a first wish calls: a wrong
    one is refused beside its field with everything else typed kept (the community chosen too), a
    right one is kept and shows on 账号与安全."""
    visitor = Person(browser, server, "zhaoli", ARTIFACTS / "resident_signup_phone", log_in=False,
                     password="quiet-river-2026")
    visitor.page.goto(server + "/")
    visitor.follow("注册")
    visitor.page.fill("#username", "zhaoli")
    visitor.page.fill("#display_name", "赵丽")
    visitor.page.fill("#password", visitor.password)
    visitor.page.select_option("#community_id", label="旭日社区")
    visitor.page.fill("#phone", "12345")
    visitor.tap("注册")
    assert visitor.says("请填写手机号或带区号的电话")
    assert visitor.page.input_value("#display_name") == "赵丽"
    assert visitor.page.locator("#community_id option:checked").inner_text() == "旭日社区"
    assert visitor.page.locator("input[name=role][value=resident]").is_checked()
    visitor.shot("phone-refused")
    with factory() as s:
        assert s.scalar(select(User.id).where(User.username == "zhaoli")) is None
    visitor.page.fill("#password", visitor.password)  # a refused form never sends a password back
    visitor.page.fill("#phone", "0458-360 1234")
    visitor.tap("注册")
    visitor.page.wait_for_url(server + "/")
    assert "注册成功" in visitor.flash()
    with factory() as s:
        user = s.scalar(select(User).where(User.username == "zhaoli"))
        assert user is not None and user.phone == "0458-3601234"
    visitor.tab("我的")
    visitor.follow("账号与安全")
    assert visitor.page.input_value("#f-phone") == "0458-3601234"
    visitor.shot("phone-on-account")
    visitor.close()


def test_the_community_calls_a_booking_off_and_both_people_are_told(browser, server, world, factory):
    """The barber falls ill: the community admin opens the booking from 待办, sends it to a
    member (派单 tells the member), then calls it off (社区取消) with a reason that reaches the
    resident and the member; the place is free again. The booking is named by its time, so two
    bookings of one service can be told apart."""
    from flows.notices import inbox
    from tests.admin.journeys.staff import Staff

    resident = Person(browser, server, "res_a", ARTIFACTS / "booking_called_off")
    resident.follow("预约服务")
    resident.page.locator("input[name=note]").first.fill("请带推子")
    resident.tap("预约")
    assert "预约成功" in resident.flash()
    with factory() as s:
        booking = s.scalar(select(Demand).where(Demand.requester_id == world["res_a"]).order_by(Demand.id.desc()))
        slot = s.get_one(AppointmentSlot, world["slot"])
        local = slot.starts_at.astimezone(LOCAL_TZ)
        assert booking.title == f"义务理发预约（{local.month}月{local.day}日 {local:%H:%M}）"
        assert slot.booked == 1

    admin = Staff(browser, server, "cadm_a", "booking_called_off")
    admin.tab("待办")
    admin.page.locator("#demands a", has_text=booking.title).click()
    admin.page.wait_for_load_state()
    admin.follow("安排服务党员")
    admin.page.select_option("#f-assignee", value=str(world["mem1"]))
    admin.tap("安排服务党员")
    assert admin.shows("已安排党员")
    with factory() as s:
        told = [n.title for n in inbox.inbox(s, world["mem1"])]
    assert f"派给您的预约服务：{booking.title}" in told

    # arranged, it waits on nobody in 待办: the admin finds it again under 预约安排 on the home page
    admin.home()
    admin.follow("预约安排")
    card = admin.page.locator(f"[data-slot='{world['slot']}']")
    with factory() as s:
        sent = s.get_one(User, world["mem1"]).display_name
    assert "已安排党员" in card.inner_text() and f"派：{sent}" in card.inner_text() and "已约 1 / " in card.inner_text()
    assert "备注：请带推子" in card.inner_text()  # what the resident wrote, read by the community
    admin.shot("arranged_bookings")
    card.locator(f"a[data-demand='{booking.id}']").click()
    admin.page.wait_for_load_state()
    assert admin.shows(booking.title) and admin.page.locator("a", has_text="返回预约安排").count() == 1
    assert admin.shows("备注：请带推子") and admin.shows(f"服务党员：{sent}")  # the page says it too
    admin.follow("社区取消")
    admin.page.fill("#f-reason", "理发师生病，改天再约")
    admin.tap("社区取消")
    assert "社区取消成功" in admin.flash() and admin.shows("已取消") and admin.shows("理发师生病，改天再约")
    admin.shot("called_off")
    with factory() as s:
        assert s.get_one(Demand, booking.id).state == "cancelled"
        assert s.get_one(AppointmentSlot, world["slot"]).booked == 0  # the place is free again
        assert s.scalar(select(Booking.status).where(Booking.demand_id == booking.id)) is BookingStatus.CANCELLED
        for who in ("res_a", "mem1"):
            latest = inbox.inbox(s, world[who])[0]
            assert latest.title == f"社区取消了预约：{booking.title}" and "理发师生病，改天再约" in latest.body

    resident.home()
    resident.tab("我的")
    resident.follow("消息")
    assert resident.says("社区取消了预约") and resident.says("理发师生病，改天再约")
    resident.shot("told")
    assert admin.failures == [] and resident.failures == []
    admin.close()
    resident.close()
