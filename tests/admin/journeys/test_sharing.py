"""Resource sharing on phones: a community admin books a unit's room for an activity from the
activity's suggestions, the unit's organisation approves and confirms the use from 我的资源, the
admin rates it, and the organisation is credited. Each tapped from the home page."""
# ruff: noqa: F811  (the browser and server fixtures are imported, then named as arguments)
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from flows.points import ledger
from schemas.clock import LOCAL_TZ, utcnow
from schemas.tables import Demand, Resource, ResourceBooking
from tests.admin.journeys.staff import (  # noqa: F401
    Staff,
    browser,
    name_task_types,
    pytestmark,
    server,
)
from tests.flows.sharing.shared import add_sharing
from tests.flows.walker import Walker


def _next_monday_10() -> datetime:
    """A Monday 10:00 in Beijing, next week or the one after: inside the room's hours, not closed."""
    today = utcnow().astimezone(LOCAL_TZ).date() + timedelta(days=7)
    monday = today + timedelta(days=(7 - today.weekday()) % 7)
    return datetime(monday.year, monday.month, monday.day, 10, tzinfo=LOCAL_TZ)


def _the_day_comes(factory, title: str) -> None:
    """The booked time begins (the engine offers 确认已使用 only then: `guards: [after_start]`):
    the request and its booking moved to an hour ago, as the clock of a walk cannot wait."""
    with factory() as s, s.begin():
        demand = s.scalars(select(Demand).join(ResourceBooking, ResourceBooking.demand_id == Demand.id)
                           .where(Demand.title == title)).one()  # the request (an activity may share its title)
        began = utcnow() - timedelta(hours=1)
        length = demand.ends_at - demand.starts_at
        demand.starts_at, demand.ends_at = began, began + length
        for booking in s.scalars(select(ResourceBooking).where(ResourceBooking.demand_id == demand.id)):
            booking.starts_at, booking.ends_at = began, began + length


def _activity(factory, world, title: str, capacity: int, starts: datetime) -> Walker:
    """A two-hour activity of 旭日社区 created by its admin (a draft), starting at `starts`."""
    walk = Walker(factory, world)
    walk.start("cadm_a", "env_cleanup", {"title": title, "description": "d", "place": "待定", "capacity": capacity,
                                         "starts_at": starts.isoformat(),
                                         "ends_at": (starts + timedelta(hours=2)).isoformat()}, now=utcnow())
    return walk


def test_admin_books_a_units_room_for_an_activity(browser, server, world, factory):
    name_task_types(factory, world)
    add_sharing(factory, world)
    starts = _next_monday_10()
    walk = _activity(factory, world, "垃圾分类宣讲", 30, starts)
    activity = walk.demand_id

    admin = Staff(browser, server, "cadm_a", "resource_booking")
    admin.tab("我的")
    admin.follow("垃圾分类宣讲")
    assert admin.shows("推荐的共享资源") and admin.shows("所选时间开放且空闲")
    admin.shot("suggested")
    admin.page.locator("#resource-suggestions a", has_text="财政局三楼会议室").click()
    admin.page.wait_for_load_state()
    # the form knows what it is for, and says it by the activity's title (no number box to fill)
    assert admin.page.locator("#q-for-demand option:checked").inner_text().startswith("垃圾分类宣讲 · ")
    assert admin.page.locator("[name=for_demand]").input_value() == str(activity)
    admin.shot("resource")
    admin.tap("提交申请")
    assert admin.shows("待审批") and admin.shows("财政局三楼会议室")
    admin.shot("requested")
    with factory() as s:
        booking = s.scalar(select(ResourceBooking))
    assert (booking.for_demand_id, booking.starts_at) == (activity, starts)

    owner = Staff(browser, server, "orgadm1", "resource_booking")
    owner.tap_link("我的资源")
    assert owner.shows("收到的申请")
    owner.shot("my-resources")
    owner.follow("财政局三楼会议室 · 垃圾分类宣讲")
    owner.follow("同意")
    owner.tap("同意")
    assert owner.shows("已同意") and not owner.page.get_by_role("link", name="确认已使用").count()  # not yet
    _the_day_comes(factory, "垃圾分类宣讲")
    owner.page.reload()
    owner.follow("确认已使用")
    owner.tap("确认已使用")
    assert owner.shows("待评价")
    owner.shot("used")

    admin.home()
    admin.tab("我的")  # the request waits for the admin's rating, listed under 待评价
    admin.page.locator("main section", has_text="待评价").get_by_role("link", name="垃圾分类宣讲").click()
    admin.page.wait_for_load_state()
    assert admin.path == f"/d/{booking.demand_id}" and admin.shows("财政局三楼会议室")
    admin.follow("评价")
    admin.page.click("label[for=f-rating-5]")
    admin.tap("评价")
    assert admin.shows("已完成")
    admin.shot("done")
    with factory() as s:
        assert s.get(Demand, booking.demand_id).state == "done"
        assert int(ledger.org_account(s, world["org1"]).balance) == 7  # 6 × 1.2 for five stars
    assert admin.failures == [] and owner.failures == []
    admin.close()
    owner.close()


def test_a_community_shares_its_own_room_and_answers_a_residents_request(browser, server, world, factory):
    """No organisation: the community admin lists the community's activity room from 我的 →
    社区资源, a resident finds it in 资源共享 and requests a time, the admin answers from 待办
    (同意, then 确认已使用), the resident rates it."""
    name_task_types(factory, world)
    add_sharing(factory, world)
    starts = _next_monday_10()
    admin = Staff(browser, server, "cadm_a", "community_resource")
    admin.tab("我的")
    admin.follow("社区资源")
    admin.page.fill("#n-name", "社区活动室")
    admin.page.select_option("#n-place", label="旭日社区（社区自有）")
    admin.tap("新增")
    assert admin.page.url.rstrip("/").split("/")[-2] == "resources"  # on the new resource's own page
    admin.shot("listed")
    with factory() as s:
        hall = s.scalar(select(Resource).where(Resource.name == "社区活动室"))
    assert (hall.org_id, hall.community_id) == (None, world["ca"])
    # hours that do not read are said beside 开放时间, and the rules typed are still there
    admin.page.fill("#m-rules", "请提前一天申请，用后打扫")
    admin.page.fill("#m-hours", "周一 9点到5点")
    admin.tap("保存")
    assert admin.page.locator("#hours-error").is_visible() and admin.shows("周一 9点到5点")
    assert admin.page.input_value("#m-rules") == "请提前一天申请，用后打扫"
    admin.shot("hours_refused")
    admin.page.fill("#m-hours", "周一至周五 09:00-17:00")
    admin.tap("保存")
    with factory() as s:
        assert s.get(Resource, hall.id).rules == "请提前一天申请，用后打扫"

    resident = Staff(browser, server, "res_a", "community_resource")
    resident.tap_link("资源共享")
    resident.page.locator("main a", has_text="社区活动室").first.click()
    resident.page.wait_for_load_state()
    resident.page.fill("#q-title", "老年合唱排练")
    resident.page.fill("#q-start", starts.strftime("%Y-%m-%dT%H:%M"))
    resident.page.fill("#q-end", (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    resident.tap("提交申请")
    assert resident.shows("待审批") and resident.shows("社区活动室")
    resident.shot("requested")

    admin.home()
    admin.tab("待办")
    admin.page.locator("#demands a", has_text="老年合唱排练").click()
    admin.page.wait_for_load_state()
    admin.follow("同意")
    admin.tap("同意")
    assert admin.shows("已同意")
    _the_day_comes(factory, "老年合唱排练")
    admin.page.reload()
    admin.follow("确认已使用")
    admin.tap("确认已使用")
    assert admin.shows("待评价")
    admin.shot("used")

    resident.home()
    resident.tab("我的")
    resident.page.locator("main section", has_text="待评价").get_by_role("link", name="老年合唱排练").click()
    resident.page.wait_for_load_state()
    resident.follow("评价")
    resident.page.click("label[for=f-rating-5]")
    resident.tap("评价")
    assert resident.shows("已完成")
    resident.shot("done")
    with factory() as s:
        demand = s.scalar(select(Demand).where(Demand.title == "老年合唱排练"))
        assert (demand.state, demand.org_id, demand.requester_id) == ("done", None, world["res_a"])
        assert ledger.check(s) == []
    assert admin.failures == [] and resident.failures == []
    admin.close()
    resident.close()


def test_the_publish_form_suggests_free_resources_for_the_time_chosen(browser, server, world, factory):
    """While the admin fills in an activity's 发布 form, the unit's room free at that time is
    suggested under the time fields with why; a time the room is closed suggests nothing; the
    suggestion opens the room's request form with the time filled in."""
    name_task_types(factory, world)
    add_sharing(factory, world)
    starts = _next_monday_10()
    admin = Staff(browser, server, "cadm_a", "publish_suggestions")
    admin.tap_link("发布")
    admin.follow("环境整治")
    admin.page.fill("#f-title", "楼道清理")
    admin.page.fill("#f-starts_at", starts.strftime("%Y-%m-%dT%H:%M"))
    admin.page.fill("#f-ends_at", (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    admin.page.locator("#f-ends_at").dispatch_event("change")
    live = admin.page.locator("#resource-suggestions-live")
    live.get_by_role("link", name="财政局三楼会议室").wait_for()
    assert "所选时间开放且空闲" in live.inner_text() and "便携投影仪" not in live.inner_text()  # another district
    admin.shot("suggested")
    late = starts.replace(hour=20)  # after the room's hours
    admin.page.fill("#f-starts_at", late.strftime("%Y-%m-%dT%H:%M"))
    admin.page.fill("#f-ends_at", (late + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    admin.page.locator("#f-ends_at").dispatch_event("change")
    admin.page.wait_for_function(
        "() => document.querySelector('#resource-suggestions-live').innerText.includes('没有空闲')")
    admin.page.fill("#f-starts_at", starts.strftime("%Y-%m-%dT%H:%M"))
    admin.page.fill("#f-ends_at", (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    admin.page.locator("#f-ends_at").dispatch_event("change")
    live.get_by_role("link", name="财政局三楼会议室").click()
    admin.page.wait_for_load_state()
    assert admin.page.input_value("#q-start") == starts.strftime("%Y-%m-%dT%H:%M")
    assert admin.page.input_value("#q-title") == "楼道清理"
    admin.shot("request-form")
    assert admin.failures == []
    admin.close()
    with factory() as s:  # only looked: nothing was booked or published
        assert s.scalar(select(ResourceBooking)) is None


def test_an_organisation_books_a_room_for_the_activity_it_took_on_from_the_room_itself(browser, server, world, factory):
    """Not only from the activity's suggestions: on a resource's own page, the request form
    offers the activities the person organises in its community (here the one the organisation
    grabbed), by title and time; nobody else's, and nothing to type as a number."""
    name_task_types(factory, world)
    add_sharing(factory, world)
    starts = _next_monday_10()
    walk = _activity(factory, world, "秋季义诊", 10, starts)
    walk.act("cadm_a", "publish", now=utcnow())
    walk.act("orgadm1", "grab", now=utcnow())
    Walker(factory, world).start("cadm_a", "env_cleanup", {
        "title": "别人的活动", "description": "d", "place": "p", "capacity": 5, "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=1)).isoformat()}, now=utcnow())  # not the organisation's
    org = Staff(browser, server, "orgadm1", "resource_for_activity")
    org.tap_link("资源共享")
    org.page.locator("main a", has_text="财政局三楼会议室").first.click()
    org.page.wait_for_load_state()
    offered = org.page.locator("#q-for-demand option").all_inner_texts()
    assert offered[0] == "—" and len(offered) == 2 and offered[1].startswith("秋季义诊 · ")
    org.page.fill("#q-title", "义诊场地")
    org.page.select_option("#q-for-demand", index=1)  # the activity's times come with it; the use typed stays
    assert org.page.input_value("#q-start") == starts.strftime("%Y-%m-%dT%H:%M")
    assert org.page.input_value("#q-end") == (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    assert org.page.input_value("#q-title") == "义诊场地"
    org.shot("form")
    org.tap("提交申请")
    assert org.shows("待审批")
    org.shot("requested")
    with factory() as s:
        booking = s.scalar(select(ResourceBooking))
        assert booking is not None and booking.for_demand_id == walk.demand_id
