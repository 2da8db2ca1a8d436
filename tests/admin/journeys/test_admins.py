"""Community, district and city admins' journeys, each tapped from the home page on a phone
(390×844, Chinese), with what the person sees asserted and the database checked afterwards.
Screenshots: tests/artifacts/<journey>/."""
# ruff: noqa: F811  (the browser and server fixtures are imported, then named as arguments)
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from flows.points import ledger, shop
from schemas.clock import utcnow
from schemas.tables import (
    Demand,
    Evaluation,
    Event,
    MemberRegistration,
    NoticeTemplateOverride,
    Notification,
    Order,
    OrderStatus,
    Region,
    RegionLevel,
    RegistrationStatus,
    Role,
    RoleGrant,
    ServiceRecord,
    ShopItem,
    TaskType,
    User,
)
from tests.admin.journeys.staff import Staff, browser, name_task_types, pytestmark, server  # noqa: F401
from tests.flows.walker import Walker
from tests.world import NOW, an_order


def _events(factory, demand_id: int) -> list[tuple[str, int | None]]:
    with factory() as s:
        return [(e.step, e.actor_id) for e in s.scalars(select(Event).where(Event.demand_id == demand_id)
                                                          .order_by(Event.id))]


# ---- the work queue -----------------------------------------------------------------------

def test_community_admin_reviews_a_wish_from_the_queue(browser, server, world, factory):
    name_task_types(factory, world)
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "给独居老人修灯"})
    admin = Staff(browser, server, "cadm_a", "queue_review")
    admin.tap_link("待办事项")
    assert admin.shows("给独居老人修灯") and admin.shows("审核发布") and admin.shows("旭日社区")
    admin.shot("queue")
    admin.tap_card("给独居老人修灯")
    admin.tap("审核发布")
    assert "审核发布成功" in admin.flash() and admin.shows("待认领")
    admin.shot("published")
    admin.tap_tab("待办")
    assert not admin.shows("给独居老人修灯", within="#demands")
    assert walk.state() == "open"
    assert _events(factory, walk.demand_id)[-1] == ("publish", world["cadm_a"])


def test_community_admin_approves_a_registration_from_the_queue(browser, server, world, factory):
    admin = Staff(browser, server, "cadm_a", "queue_approve")
    admin.tap_link("待办事项")
    assert admin.shows("mem_pending", within="#registrations")
    admin.tap_card("mem_pending", within="#registrations")
    admin.shot("approvals")
    admin.page.locator("form.card", has_text="mem_pending").get_by_role("button", name="通过").click()
    admin.page.wait_for_load_state()
    assert "已通过" in admin.flash() and not admin.shows("mem_pending")
    admin.shot("approved")
    with factory() as s:
        reg = s.scalar(select(MemberRegistration).where(MemberRegistration.member_id == world["mem_pending"]))
        assert reg.status is RegistrationStatus.APPROVED and reg.decided_by == world["cadm_a"]


def test_community_admin_sends_a_registration_back_with_a_reason(browser, server, world, factory):
    """退回 cannot be undone: it asks first, wants the reason, and the applicant reads it."""
    admin = Staff(browser, server, "cadm_a", "queue_reject")
    admin.tap_link("待办事项")
    admin.tap_card("mem_pending", within="#registrations")
    admin.page.locator("form.card", has_text="mem_pending").get_by_role("link", name="退回").click()
    admin.page.wait_for_load_state()
    assert admin.shows("退回后，申请人会收到通知和原因，需要重新报到。确定吗？")
    admin.shot("reject-ask")
    admin.tap_link("不了，返回")
    assert admin.shows("mem_pending")
    admin.page.locator("form.card", has_text="mem_pending").get_by_role("link", name="退回").click()
    admin.page.wait_for_load_state()
    admin.tap("确定退回")  # no reason yet
    assert admin.shows("请写明退回的原因，申请人会看到它")
    with factory() as s:
        reg = s.scalar(select(MemberRegistration).where(MemberRegistration.member_id == world["mem_pending"]))
        assert reg.status is RegistrationStatus.PENDING
    admin.page.get_by_label("退回原因").fill("住址不在本社区，请到居住地社区报到")
    admin.tap("确定退回")
    assert "已退回，申请人会收到通知" in admin.flash() and not admin.shows("mem_pending")
    admin.shot("rejected")
    with factory() as s:
        reg = s.scalar(select(MemberRegistration).where(MemberRegistration.member_id == world["mem_pending"]))
        assert reg.status is RegistrationStatus.REJECTED and reg.decided_by == world["cadm_a"]
        event = s.scalar(select(Event).where(Event.subject == "member_registrations", Event.subject_id == reg.id))
        assert event.data == {"reason": "住址不在本社区，请到居住地社区报到"}
        told = s.scalar(select(Notification).where(Notification.user_id == world["mem_pending"],
                                                   Notification.channel == "inbox"))
        assert "住址不在本社区" in told.body and "报到未通过" in told.title


def test_community_admin_confirms_attendance_from_the_queue(browser, server, world, factory):
    # under way now: the sheet is used on the day, and sign-in may only be open around the activity
    walk = Walker(factory, world).recruiting_activity("敬老院助老活动", 3, utcnow() - timedelta(minutes=10))
    walk.act("mem2", "sign_up")
    walk.act("cadm_a", "begin", now=utcnow())
    admin = Staff(browser, server, "cadm_a", "queue_attendance")
    admin.tap_link("待办事项")
    assert admin.shows("已签到 0/2", within="#attendance")
    admin.tap_card("敬老院助老活动", within="#attendance")
    row = admin.page.locator("tr", has_text="mem2")
    row.get_by_role("button", name="确认签到").click()
    admin.page.wait_for_load_state()
    assert "mem2：签到成功" in admin.flash()
    admin.shot("signed-in")
    admin.page.locator("tr", has_text="mem2").get_by_role("button", name="确认签退").click()
    admin.page.wait_for_load_state()
    assert "mem2：签退成功" in admin.flash()
    assert admin.page.locator("tr", has_text="mem2").get_by_role("button", name="确认签到").is_disabled()
    admin.shot("signed-out")
    with factory() as s:
        record = s.scalar(select(ServiceRecord).where(ServiceRecord.user_id == world["mem2"]))
        assert record.signed_in_at is not None and record.signed_out_at is not None
        assert s.scalar(select(ServiceRecord).where(ServiceRecord.user_id == world["mem1"])) is None
        events = s.scalars(select(Event).where(Event.demand_id == walk.demand_id,
                                               Event.step.in_(["sign_in", "sign_out"]))).all()
        assert [(e.step, e.actor_id, e.data["on_behalf_of"]) for e in events] == [
            ("sign_in", world["cadm_a"], world["mem2"]), ("sign_out", world["cadm_a"], world["mem2"])]


def test_community_admin_hands_out_an_order_from_the_queue(browser, server, world, factory):
    with factory() as s:
        item = ShopItem(community_id=world["ca"], name="挂面2kg", price=30, stock=3)
        s.add(item)
        s.commit()
        ledger.post(s, "gift", ledger.PostingKind.AWARD, "奖励", [
            ledger.Move(ledger.issuance_account(s), -50), ledger.Move(ledger.user_account(s, world["res_a"]), 50)])
        s.commit()
        order = shop.redeem(s, world["res_a"], item.id, now=NOW)
    admin = Staff(browser, server, "cadm_a", "queue_hand_out")
    admin.tap_link("待办事项")
    assert admin.shows("挂面2kg", within="#orders")
    admin.tap_card("挂面2kg", within="#orders")
    admin.shot("counter")
    admin.page.locator(f"tr[data-order='{order.id}']").get_by_role("link", name="发放").click()
    admin.page.wait_for_load_state()
    assert admin.shows(order.pickup_code) and admin.shows("发放后不能撤回")  # asks first, the code to check
    with factory() as s:
        assert s.get(Order, order.id).status is OrderStatus.RESERVED
    admin.shot("check-the-code")
    admin.page.get_by_role("button", name="确认发放").click()
    admin.page.wait_for_load_state()
    assert "已确认领取" in admin.flash()
    admin.shot("handed-out")
    with factory() as s:
        picked = s.get(Order, order.id)
        assert picked.status is OrderStatus.PICKED_UP and picked.decided_by == world["cadm_a"]


def test_renaming_an_item_in_the_console_leaves_past_orders_as_bought(browser, server, world, factory):
    """The shop's admin renames 挂面2kg to 挂面5kg (a new pack on the same shelf): the order
    bought before still says 挂面2kg to its buyer, at the counter and in the console."""
    order_id = an_order(factory, world, "res_a", "挂面2kg", 30)
    with factory() as s:
        item = s.get_one(ShopItem, s.get_one(Order, order_id).item_id)
    admin = Staff(browser, server, "cadm_a", "rename_item")
    admin.tap_link("管理后台")
    admin.desktop()
    admin.page.goto(admin.page.url)
    admin.page.get_by_role("link", name="目录").click()
    admin.page.get_by_role("link", name="积分超市商品").click()
    admin.page.wait_for_load_state()
    admin.page.locator(f"a[href*='/admin/shopitem/edit/?id={item.id}']").first.click()
    admin.page.wait_for_load_state()
    admin.page.fill("#name", "挂面5kg")
    admin.page.click("input[type=submit]")
    admin.page.wait_for_load_state()
    with factory() as s:
        assert s.get(ShopItem, item.id).name == "挂面5kg"
        assert s.get(Order, order_id).item_name == "挂面2kg"
    admin.page.get_by_role("link", name="运行").click()
    admin.page.get_by_role("link", name="兑换订单").click()
    admin.page.wait_for_load_state()
    assert admin.shows("挂面2kg", within="body") and not admin.shows("挂面5kg", within="body")
    admin.shot("console-orders")

    buyer = Staff(browser, server, "res_a", "rename_item")
    buyer.tap_tab("我的")
    buyer.tap_link("我的订单")
    assert buyer.shows("挂面2kg") and not buyer.shows("挂面5kg")
    buyer.shot("my-orders")
    counter = Staff(browser, server, "cadm_a", "rename_item")
    counter.tap_link("待办事项")
    assert counter.shows("挂面2kg", within="#orders") and not counter.shows("挂面5kg", within="#orders")


def test_community_admin_adjusts_points_and_a_second_tap_after_back_asks_first(browser, server, world, factory):
    """The back button fetches the counter again (pages are not cached) and the browser fills in
    what was typed: a second 调整 is a new request, and asks before crediting again."""
    admin = Staff(browser, server, "cadm_a", "adjust_points")

    def fill_and_tap() -> None:
        admin.page.get_by_label("数额（可为负）").fill("5")
        admin.page.get_by_label("原因（必填）").fill("冬季清雪额外奖励")
        admin.page.locator("#adjust").get_by_role("button", name="调整").click()
        admin.page.wait_for_load_state()

    def adjust() -> None:
        admin.page.fill("#find-person input[name=who]", "mem2")
        admin.page.locator("#find-person").get_by_role("button", name="查找").click()
        admin.page.wait_for_load_state()
        admin.page.locator(f"a[data-user='{world['mem2']}']").click()
        admin.page.wait_for_load_state()
        fill_and_tap()

    admin.tap_link("社区管理")
    adjust()
    assert "调整积分 +5" in admin.flash()
    admin.page.go_back()
    admin.page.wait_for_load_state()
    fill_and_tap()  # as the browser restores it, or typed again
    assert admin.shows("刚为") and admin.shows("再调整一次")
    admin.shot("asked")
    admin.page.get_by_role("link", name="不了，返回").click()
    admin.page.wait_for_load_state()
    with factory() as s:
        assert ledger.balance(s, world["mem2"]) == 5  # once
    adjust()
    admin.page.get_by_role("button", name="再调整一次").click()  # meant: a second reward
    admin.page.wait_for_load_state()
    assert "调整积分 +5" in admin.flash()
    with factory() as s:
        assert ledger.balance(s, world["mem2"]) == 10


def test_a_refused_adjustment_keeps_the_person_and_what_was_typed(browser, server, world, factory):
    """A reason of spaces passes the browser's `required` and is refused: the refusal stands
    beside 原因, and the person found, the amount and the page stay (a redirect lost them all,
    and the admin searched for the person again)."""
    admin = Staff(browser, server, "cadm_a", "adjust_refused")
    admin.tap_link("社区管理")
    admin.page.fill("#find-person input[name=who]", "mem2")
    admin.page.locator("#find-person").get_by_role("button", name="查找").click()
    admin.page.wait_for_load_state()
    admin.page.locator(f"a[data-user='{world['mem2']}']").click()
    admin.page.wait_for_load_state()
    admin.page.get_by_label("数额（可为负）").fill("7")
    admin.page.get_by_label("原因（必填）").fill("   ")
    admin.page.locator("#adjust").get_by_role("button", name="调整").click()
    admin.page.wait_for_load_state()
    assert admin.page.locator("#adjust-reason-error").inner_text() == "必须填写原因"
    assert admin.page.locator("#chosen").is_visible() and admin.page.input_value("#adjust-amount") == "7"
    admin.shot("reason_refused")
    with factory() as s:
        assert ledger.balance(s, world["mem2"]) == 0
    admin.page.get_by_label("原因（必填）").fill("冬季清雪额外奖励")
    admin.page.locator("#adjust").get_by_role("button", name="调整").click()
    admin.page.wait_for_load_state()
    assert "调整积分 +7" in admin.flash()
    with factory() as s:
        assert ledger.balance(s, world["mem2"]) == 7


# ---- the 发布 menu ---------------------------------------------------------------------------

def _fill_activity(person: Staff, title: str, capacity: int) -> None:
    start = datetime.now().replace(second=0, microsecond=0) + timedelta(days=2)
    person.page.fill("#f-title", title)
    person.page.fill("#f-description", "清理楼道杂物，张贴文明标语")
    person.page.fill("#f-place", "旭日社区广场")
    person.page.fill("#f-starts_at", start.strftime("%Y-%m-%dT%H:%M"))
    person.page.fill("#f-ends_at", (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    person.page.fill("#f-capacity", str(capacity))


def test_community_admin_publishes_an_activity_from_the_menu(browser, server, world, factory):
    name_task_types(factory, world)
    admin = Staff(browser, server, "cadm_a", "publish_activity")
    admin.tap_link("发布")
    assert admin.shows("环境整治") and admin.shows("志愿服务事项") and admin.shows("代居民发布")
    admin.shot("menu")
    admin.tap_card("环境整治")
    _fill_activity(admin, "楼道清理大扫除", 10)
    starts = datetime.strptime(admin.page.input_value("#f-starts_at"), "%Y-%m-%dT%H:%M")
    admin.page.fill("#f-ends_at", starts.replace(year=starts.year + 1).strftime("%Y-%m-%dT%H:%M"))  # a slip of the year
    admin.tap("创建活动")
    assert admin.page.locator("#e-ends_at").inner_text() == "最多比“开始时间”晚 3 天，请检查日期"
    assert admin.page.input_value("#f-title") == "楼道清理大扫除"  # nothing typed is lost
    admin.shot("end-refused")
    with factory() as s:
        assert s.scalar(select(Demand).where(Demand.title == "楼道清理大扫除")) is None
    admin.page.fill("#f-ends_at", (starts + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    admin.tap("创建活动")
    assert "创建活动成功" in admin.flash()
    admin.tap("发布")
    assert "发布成功" in admin.flash() and admin.shows("待抢单")
    admin.shot("published")
    with factory() as s:
        demand = s.scalar(select(Demand).where(Demand.title == "楼道清理大扫除"))
        assert (demand.state, demand.capacity, demand.requester_id, demand.task_type_id) == (
            "open", 10, world["cadm_a"], world["tt_env_cleanup"])


def test_community_admin_publishes_a_volunteer_item_from_the_menu(browser, server, world, factory):
    name_task_types(factory, world)
    admin = Staff(browser, server, "cadm_a", "publish_volunteer")
    admin.tap_link("发布")
    admin.tap_card("志愿服务事项")
    admin.page.fill("#f-title", "社区图书角值守")
    admin.page.fill("#f-description", "周末下午图书角借还登记")
    admin.page.fill("#f-capacity", "6")
    admin.page.get_by_label("课业辅导").check()
    admin.shot("form")
    admin.tap("设立事项")
    assert "设立事项成功" in admin.flash() and admin.shows("招募中")
    admin.shot("created")
    with factory() as s:
        demand = s.scalar(select(Demand).where(Demand.title == "社区图书角值守"))
        assert (demand.state, demand.capacity, demand.required_skills) == ("open", 6, ["teaching"])


def test_community_admin_publishes_an_urgent_need_for_a_resident(browser, server, world, factory):
    urgent = name_task_types(factory, world)
    admin = Staff(browser, server, "cadm_a", "publish_urgent")
    admin.tap_link("发布")
    admin.tap_card("急难愁盼", within="main")
    admin.page.fill("input[name=q]", "res_a2")
    admin.tap("查找")
    admin.shot("pick")
    admin.tap_card("res_a2")
    assert admin.shows("代 res_a2 发布")
    admin.page.fill("#f-title", "暖气不热，老人怕冷")
    admin.page.fill("#f-place", "5号楼1单元")
    admin.tap("发布心愿")
    assert "发布心愿成功" in admin.flash() and admin.shows("代办")
    admin.shot("posted")
    admin.tap("审核发布")
    assert admin.shows("待认领")
    with factory() as s:
        demand = s.scalar(select(Demand).where(Demand.title == "暖气不热，老人怕冷"))
        assert (demand.task_type_id, demand.requester_id, demand.state) == (urgent, world["res_a2"], "open")
    assert _events(factory, demand.id)[:2] == [("post", world["cadm_a"]), ("publish", world["cadm_a"])]


def test_a_task_type_created_in_the_console_appears_on_the_menu(browser, server, world, factory):
    name_task_types(factory, world)
    district = Staff(browser, server, "dadm1", "console_task_type")
    district.tap_link("管理后台")
    district.desktop()
    district.page.goto(district.page.url)  # the console's own menu at a desk's width
    district.page.get_by_role("link", name="目录").click()
    district.page.get_by_role("link", name="任务类型").click()
    district.page.wait_for_load_state()
    district.page.get_by_role("link", name="创建").first.click()
    district.page.wait_for_load_state()
    district.page.fill("#name", "垃圾分类宣传")
    district.page.fill("#code", "garbage_sorting")
    district.page.select_option("#category", "activity", force=True)  # select2 hides the real select
    district.page.fill("#default_points", "12")
    district.page.select_option("#workflow_id", "joint_activity", force=True)  # a choice among published workflows
    district.page.select_option("#district_id", label="伊美区", force=True)
    district.shot("task-type")
    district.page.click("input[type=submit]")
    district.page.wait_for_load_state()
    with factory() as s:
        task_type = s.scalar(select(TaskType).where(TaskType.code == "garbage_sorting"))
        assert task_type is not None and task_type.district_id == world["d1"]

    admin = Staff(browser, server, "cadm_a", "console_task_type")
    admin.tap_link("发布")
    assert admin.shows("垃圾分类宣传")
    admin.shot("menu-with-new-type")
    admin.tap_card("垃圾分类宣传")
    _fill_activity(admin, "垃圾分类进楼栋", 8)
    admin.tap("创建活动")
    assert "创建活动成功" in admin.flash()
    other = Staff(browser, server, "cadm_b", "console_task_type")  # another district's admin
    other.tap_link("发布")
    assert not other.shows("垃圾分类宣传")
    with factory() as s:
        demand = s.scalar(select(Demand).where(Demand.title == "垃圾分类进楼栋"))
        assert demand.task_type_id == task_type.id and demand.workflow_id == "joint_activity"


# ---- 代办 ----------------------------------------------------------------------------------

ELDER_PASSWORD = "green-hill-2026"  # an initial password an admin gives: 12 characters or more

def test_admin_posts_a_wish_for_a_resident_without_a_phone_who_then_rates_it(browser, server, world, factory):
    name_task_types(factory, world)
    admin = Staff(browser, server, "cadm_a", "behalf_wish")
    admin.tap_link("发布")
    admin.page.locator("a.card[data-behalf]", has_text="微心愿").click()
    admin.page.wait_for_load_state()
    admin.page.fill("#display_name", "张大爷")
    admin.page.fill("#password", ELDER_PASSWORD)
    admin.shot("register")
    admin.tap("登记并代为发布")
    assert admin.shows("代 张大爷 发布")
    with factory() as s:  # the account's name is told, for the resident's own log-in later
        username = s.scalar(select(User.username).where(User.display_name == "张大爷"))
    assert f"登录用户名 {username}" in admin.flash()
    admin.page.fill("#f-title", "帮忙取降压药")
    admin.tap("发布心愿")
    assert "发布心愿成功" in admin.flash()
    admin.tap("审核发布")
    with factory() as s:
        elder = s.scalar(select(User).where(User.display_name == "张大爷"))
        demand = s.scalar(select(Demand).where(Demand.title == "帮忙取降压药"))
        assert demand.requester_id == elder.id and elder.phone is None
        assert s.scalar(select(RoleGrant.region_id).where(RoleGrant.user_id == elder.id,
                                                          RoleGrant.role == Role.RESIDENT)) == world["ca"]
    walk = Walker(factory, world)
    walk.demand_id = demand.id
    walk.act("mem1", "claim")
    walk.act("mem1", "serve", {"hours": 1, "note": "送到家"})

    world.ids[elder.username] = elder.id
    resident = Staff(browser, server, elder.username, "behalf_wish", password=ELDER_PASSWORD)
    resident.tap_tab("我的")
    resident.tap_link("帮忙取降压药")
    assert resident.shows("待评价")
    resident.tap_link("评价")
    resident.page.click("label[for=f-rating-5]")
    resident.tap("评价")
    assert "评价成功" in resident.flash() and resident.shows("已完成")
    resident.shot("rated")
    with factory() as s:
        assert s.scalar(select(Evaluation.by_user_id).where(Evaluation.demand_id == demand.id)) == elder.id
        assert s.get(Demand, demand.id).state == "done"
    assert _events(factory, demand.id)[0] == ("post", world["cadm_a"])


# ---- district and city admins -------------------------------------------------------------

def test_district_admin_sees_the_queue_across_communities_and_opens_the_console(browser, server, world, factory):
    with factory() as s, s.begin():
        street = s.get(Region, world["s1"])
        east = Region(code="ca2", level=RegionLevel.COMMUNITY, name="旭东社区", parent_id=street.id, lat=47.7,
                      lng=128.8)
        s.add(east)
        s.flush()
        east.path = f"{street.path}{east.id}/"
        neighbour = User(username="res_east", display_name="res_east", password_hash="x")
        neighbour.grants = [RoleGrant(role=Role.RESIDENT, region_id=east.id)]
        s.add(neighbour)
        s.flush()
        world.ids.update(ca2=east.id, res_east=neighbour.id)
    Walker(factory, world).start("res_a", "micro_wish", {"title": "旭日的心愿"})
    east_wish = Walker(factory, world)
    east_wish.start("res_east", "micro_wish", {"title": "旭东的心愿"}, community="ca2")
    Walker(factory, world).start("res_b", "micro_wish", {"title": "铁力的心愿"}, community="cb")

    district = Staff(browser, server, "dadm1", "district_queue")
    district.tap_link("待办事项")
    assert district.shows("旭日的心愿") and district.shows("旭东的心愿") and not district.shows("铁力的心愿")
    assert district.shows("旭东社区", within="#demands") and district.shows("旭日社区", within="#demands")
    district.shot("queue")
    district.page.select_option("select[name=community]", label="旭东社区")
    district.tap("筛选")
    assert district.shows("旭东的心愿") and not district.shows("旭日的心愿", within="#demands")
    district.tap_card("旭东的心愿")
    district.tap("审核发布")
    assert "审核发布成功" in district.flash()
    district.home()
    district.tap_link("管理后台")
    assert district.path.startswith("/admin") and district.page.locator(".navbar").count() == 1
    district.shot("console")
    assert east_wish.state() == "open" and _events(factory, east_wish.demand_id)[-1] == ("publish", world["dadm1"])


def test_city_admin_pages_through_every_district_and_is_not_offered_wishes(browser, server, world, factory):
    for n in range(20):
        Walker(factory, world).start("res_a", "micro_wish", {"title": f"旭日心愿{n:02d}"})
    last = Walker(factory, world)
    last.start("res_b", "micro_wish", {"title": "站前心愿"}, community="cb")
    city = Staff(browser, server, "cityadm", "city_queue")
    assert city.page.get_by_role("link", name="发布微心愿").count() == 0
    assert city.page.get_by_role("link", name="任务大厅").count() == 0
    city.tap_link("待办事项")
    assert city.shows("1 / 2") and not city.shows("站前心愿")
    city.tap_link("下一页")
    assert city.shows("站前心愿") and city.shows("站前社区")
    city.shot("page-2")
    city.tap_card("站前心愿")
    city.tap("审核发布")
    assert last.state() == "open"
    with factory() as s:
        assert s.scalar(select(Event.actor_id).where(Event.demand_id == last.demand_id, Event.step == "publish")) \
            == world["cityadm"]


def test_a_district_admin_rewords_a_message_after_a_preview(browser, server, world, factory):
    district = Staff(browser, server, "dadm1", "console_notice_template")
    district.tap_link("管理后台")
    district.desktop()
    district.page.goto(district.page.url)
    district.page.get_by_role("link", name="运行", exact=True).click()
    district.page.get_by_role("link", name="消息模板").click()
    district.page.wait_for_load_state()
    district.page.locator("tr[data-template=wish_claimed]").get_by_role("link", name="编辑").click()
    district.page.wait_for_load_state()
    district.page.fill("#title_zh", "好消息：{title} 有人认领了")
    district.page.get_by_role("button", name="预览").click()
    district.page.wait_for_load_state()
    assert "好消息：帮忙更换楼道灯泡 有人认领了" in district.page.inner_text("#preview")
    district.shot("preview")
    district.page.get_by_role("button", name="保存").click()
    district.page.wait_for_load_state()
    assert "消息模板已保存" in district.page.inner_text("body")
    assert "好消息：{title} 有人认领了" in district.page.inner_text("tr[data-template=wish_claimed]")
    district.shot("saved")
    with factory() as s:
        row = s.scalar(select(NoticeTemplateOverride).where(NoticeTemplateOverride.name == "wish_claimed"))
        assert row is not None and (row.district_id, row.title_zh) == (world["d1"], "好消息：{title} 有人认领了")


def test_community_admin_sees_each_persons_hours_and_points_before_settling(browser, server, world, factory):
    """结算积分 from 待办事项: before the tap the page lists who served how long and the points
    each will get (the walk found a confirm page with no figure after four twelve-hour entries);
    after it, the balances are those figures."""
    name_task_types(factory, world)
    walk = Walker(factory, world)
    walk.start("cadm_a", "volunteer", {"title": "社区图书角值守", "description": "每周值守", "capacity": 5})
    for who, hours in (("mem1", 2), ("mem2", 3.5)):
        walk.act(who, "join")
        walk.act(who, "report", {"hours": hours, "note": "值守"})
    admin = Staff(browser, server, "cadm_a", "settle_preview")
    admin.tap_link("待办事项")
    admin.tap_card("社区图书角值守")
    admin.tap("结算积分")
    rows = admin.page.locator("#settlement tbody tr")
    assert sorted(rows.all_inner_texts()) == sorted(["mem1\t2\t10", "mem2\t3.5\t18"])  # 5 points an hour, half up
    admin.shot("before-settling")
    admin.tap("确定结算积分")
    assert "结算积分成功" in admin.flash() and admin.shows("已结束")
    with factory() as s:
        assert (ledger.balance(s, world["mem1"]), ledger.balance(s, world["mem2"])) == (10, 18)
