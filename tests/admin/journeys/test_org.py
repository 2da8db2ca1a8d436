"""Organisations' journeys: the organisation admin grabs an activity and follows who of the
organisation signed up and served, and the organisation's points (后台档案); members reach the
activities their organisation grabbed, and ask to join one (at sign-up, or in 我的; its admin
lets them in on 组织档案), or an admin links them in the console. Each tapped from the home page
on a phone."""
# ruff: noqa: F811  (the browser and server fixtures are imported, then named as arguments)
from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from schemas.tables import Account, AuditLog, Claim, ClaimStatus, Demand, Event, Member, User
from tests.admin.journeys.staff import (  # noqa: F401
    Staff,
    browser,
    name_task_types,
    pytestmark,
    server,
    shots_dir,
)
from tests.flows.walker import Walker
from tests.world import NOW


def _open_activity(factory, world, title: str, capacity: int = 5) -> Walker:
    """An activity created and published by the community (not yet grabbed)."""
    walk = Walker(factory, world)
    start = NOW + timedelta(days=1)
    walk.start("cadm_a", "env_cleanup", {"title": title, "description": "d", "place": "旭日社区广场",
                                         "capacity": capacity, "starts_at": start.isoformat(),
                                         "ends_at": (start + timedelta(hours=2)).isoformat()})
    walk.act("cadm_a", "publish")
    return walk


def test_org_admin_grabs_an_activity_from_the_hall(browser, server, world, factory):
    name_task_types(factory, world)
    walk = _open_activity(factory, world, "河道清淤")
    org = Staff(browser, server, "orgadm1", "org_grab")
    org.tap_link("任务大厅")
    org.shot("hall")
    org.tap_card("河道清淤")
    org.tap("一键抢单")
    assert "一键抢单成功" in org.flash() and org.shows("报名中")
    org.home()
    org.tap_link("组织档案")
    assert org.shows("河道清淤") and org.shows("还没有党员报名") and org.shows("0 组织积分")
    org.shot("back-office")
    with factory() as s:
        demand = s.get(Demand, walk.demand_id)
        claim = s.scalar(select(Claim).where(Claim.demand_id == demand.id))
    assert (demand.state, demand.org_id) == ("recruiting", world["org1"])
    assert (claim.org_id, claim.user_id, claim.created_by) == (world["org1"], None, world["orgadm1"])


def test_new_member_names_the_organisation_at_sign_up_and_joins_what_it_grabbed(browser, server, world, factory):
    walk = _open_activity(factory, world, "联建植树")
    walk.act("orgadm1", "grab")
    page = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                               locale="zh-CN").new_page()
    page.goto(server + "/")
    page.get_by_role("link", name="注册").click()
    page.fill("#username", "wangfang")
    page.fill("#display_name", "王芳")
    page.fill("#password", "green-hill-2026")  # sign-up asks 12 characters or more
    page.select_option("#community_id", label="站前社区")  # lives in another community than the activity
    page.check("input[name=role][value=member]")
    page.select_option("#org_id", label="财政局党支部")
    page.screenshot(path=str(shots_dir("org_member_signup") / "01-signup.png"), full_page=True)
    page.get_by_role("button", name="注册").click()
    page.wait_for_url(server + "/")
    with factory() as s:  # named, not yet one of its own: the organisation decides
        user = s.scalar(select(User).where(User.username == "wangfang"))
        assert (s.get(Member, user.id).org_id, s.get(Member, user.id).org_requested_id) == (None, world["org1"])
    org = Staff(browser, server, "orgadm1", "org_member_signup")
    org.tap_tab("我的")
    org.follow("消息")
    org.page.get_by_role("button", name="入组申请：王芳").click()  # the message leads to 组织档案
    org.page.wait_for_load_state()
    assert org.path == "/org" and org.shows("王芳", within="#join-requests")
    org.shot("03-request")
    org.page.locator(".join-request", has_text="王芳").get_by_role("button", name="通过", exact=True).click()
    org.page.wait_for_load_state()
    assert "已通过：王芳 加入了组织" in org.flash()
    org.close()
    page.reload()
    page.get_by_role("link", name="任务大厅", exact=True).click()
    page.wait_for_load_state()
    assert "联建植树" in page.locator("main").inner_text()
    page.locator("main a.card", has_text="联建植树").click()
    page.get_by_role("button", name="报名").click()
    page.wait_for_load_state()
    assert "报名成功" in page.locator(".flash").inner_text()
    page.screenshot(path=str(shots_dir("org_member_signup") / "04-signed-up.png"), full_page=True)
    with factory() as s:
        user = s.scalar(select(User).where(User.username == "wangfang"))
        assert s.get(Member, user.id).org_id == world["org1"]
        claim = s.scalar(select(Claim).where(Claim.demand_id == walk.demand_id, Claim.user_id == user.id))
        assert claim is not None and claim.status is ClaimStatus.ACTIVE


def test_member_asks_to_join_an_organisation_from_me_and_its_admin_lets_them_in(browser, server, world, factory):
    walk = _open_activity(factory, world, "文明劝导")
    walk.act("orgadm1", "grab")
    member = Staff(browser, server, "mem3", "org_member_link")  # of 税务局, living in 站前社区
    member.tap_link("任务大厅")
    assert not member.shows("文明劝导")
    member.tap_tab("我的")
    member.tap_link("所属党组织")
    member.page.select_option("#org_id", label="财政局党支部")
    member.shot("choose")
    member.tap("提交")
    assert "已提交入组申请" in member.flash() and member.shows("已申请加入 财政局党支部")
    member.tap_tab("大厅")
    assert not member.shows("文明劝导")  # not before the organisation says so
    org = Staff(browser, server, "orgadm1", "org_member_link")
    expect(org.page.locator("#org-link")).to_have_accessible_description("1 个入组申请")
    org.tap_link("组织档案")  # from the home page, its badge counting the request
    org.shot("requests")
    org.page.locator(".join-request", has_text="mem3").get_by_role("button", name="通过", exact=True).click()
    org.page.wait_for_load_state()
    assert "已通过：mem3 加入了组织" in org.flash() and not org.shows("入组申请")
    org.close()
    member.page.reload()
    assert member.shows("文明劝导")
    member.shot("hall")
    with factory() as s:
        assert (s.get(Member, world["mem3"]).org_id, s.get(Member, world["mem3"]).org_requested_id) == (
            world["org1"], None)
        steps = s.execute(select(Event.step, Event.actor_id).where(
            Event.subject == "members", Event.subject_id == world["mem3"]).order_by(Event.id)).all()
        assert [tuple(e) for e in steps] == [("ask_org", world["mem3"]), ("join_org", world["orgadm1"])]


def test_org_admin_takes_a_member_off_the_list_who_is_told(browser, server, world, factory):
    """组织档案 → 查看名单 → 移出 asks first, then the member no longer belongs (and reads why
    in 消息); another organisation's admin cannot reach the page, and the Back button after
    it says the list has moved on."""
    org = Staff(browser, server, "orgadm1", "org_remove_member")
    org.tap_link("组织档案")
    org.page.locator(f"#members-{world['org1']} summary").click()
    org.page.locator(f"li[data-member='{world['mem2']}']").get_by_role("link", name="移出").click()
    org.page.wait_for_load_state()
    confirm = org.page.url
    assert org.shows("不再是财政局党支部的党员")
    org.shot("confirm")
    org.tap("确认移出")
    assert "已将mem2移出本组织，对方会收到通知" in org.flash()
    assert org.page.locator(f"li[data-member='{world['mem2']}']").count() == 0
    assert org.page.locator(f"li[data-member='{world['mem1']}']").is_visible()  # the list left open
    org.shot("removed")
    org.page.goto(confirm)  # the confirmation again (the Back button): told, not removed twice
    assert "该党员已不在本组织" in org.flash()
    org.close()
    with factory() as s:
        assert s.get_one(Member, world["mem2"]).org_id is None
        assert s.scalars(select(Event.step).where(Event.subject == "members", Event.subject_id == world["mem2"])
                         ).all() == ["remove_org"]
    other = Staff(browser, server, "orgadm2", "org_remove_member")
    response = other.page.goto(f"{server}/org/{world['org1']}/members/{world['mem1']}/remove")
    assert response.status == 404
    other.close()
    member = Staff(browser, server, "mem2", "org_remove_member")
    member.tap_tab("我的")
    member.tap_link("消息")
    assert member.shows("您已被移出财政局党支部")
    member.shot("told")


def test_org_admin_sees_who_signed_up_and_served_and_the_organisations_points(browser, server, world, factory):
    walk = _open_activity(factory, world, "助老送餐")
    start = NOW + timedelta(days=1)
    for user, step, data, at in [("orgadm1", "grab", {}, NOW), ("mem1", "sign_up", {}, NOW),
                                 ("mem2", "sign_up", {}, NOW), ("cadm_a", "begin", {}, start),
                                 ("mem1", "sign_in", {}, start), ("mem1", "sign_out", {}, start + timedelta(hours=2)),
                                 ("cadm_a", "finish", {}, start + timedelta(hours=2)),
                                 ("cadm_a", "evaluate", {"rating": 5}, start + timedelta(hours=3))]:
        walk.act(user, step, data, now=at)
    assert walk.state() == "done"
    org = Staff(browser, server, "orgadm1", "org_back_office")
    org.tap_link("组织档案")
    card = org.page.locator(f"section[data-demand='{walk.demand_id}']")
    mem1 = card.locator("tr", has_text="mem1").locator("td").all_inner_texts()
    mem2 = card.locator("tr", has_text="mem2").locator("td").all_inner_texts()
    assert float(mem1[3]) == 2 and mem1[4] == "23"  # two hours; round((15 + 2 × 2h) × 1.2) points
    assert mem2[1:] == ["—", "—", "0", "0"]  # signed up, did not come
    assert org.shows("20 组织积分") and org.shows("助老送餐")
    org.shot("back-office")
    with factory() as s:
        assert s.scalar(select(Account.balance).where(Account.code == f"org:{world['org1']}")) == 20


def test_district_admin_links_a_member_to_an_organisation_in_the_console(browser, server, world, factory):
    district = Staff(browser, server, "dadm1", "console_member_org")
    district.tap_link("管理后台")
    district.desktop()
    district.page.goto(district.page.url)
    district.page.get_by_role("link", name="人员").click()
    district.page.get_by_role("link", name="人才资源库").click()
    district.page.wait_for_load_state()
    district.page.locator("tr", has_text="resmem").locator("a[href*='/edit/']").first.click()
    district.page.wait_for_load_state()
    assert district.page.locator("#org_id option", has_text="税务局党支部").count() == 0  # another district's
    district.page.select_option("#org_id", label="（无）", force=True)
    district.shot("member-form")
    district.page.click("input[type=submit]")
    district.page.wait_for_load_state()
    with factory() as s:
        assert s.get(Member, world["resmem"]).org_id is None
        audit = s.scalar(select(AuditLog).where(AuditLog.table_name == "members").order_by(AuditLog.id.desc()))
        assert audit.after.get("org_id", "missing") is None and audit.before["org_id"] == world["org1"]
    district.page.goto(district.page.url)
    district.page.locator("tr", has_text="resmem").locator("a[href*='/edit/']").first.click()
    district.page.wait_for_load_state()
    district.page.select_option("#org_id", label="财政局党支部", force=True)
    district.page.click("input[type=submit]")
    district.page.wait_for_load_state()
    with factory() as s:
        assert s.get(Member, world["resmem"]).org_id == world["org1"]
        steps = list(s.scalars(select(Event.step).where(Event.subject == "members",
                                                        Event.subject_id == world["resmem"]).order_by(Event.id)))
    assert steps == ["leave_org", "place_org"]  # each an event of its own, the member told of the second


def test_org_admin_gives_up_an_activity_it_cannot_staff(browser, server, world, factory):
    """放弃抢单 from 组织档案: the page says what it does (in the workflow's words) and asks
    first; afterwards the activity is open to grab again and the members who had signed up
    are told their places went."""
    name_task_types(factory, world)
    walk = _open_activity(factory, world, "敬老院慰问")
    walk.act("orgadm1", "grab")
    walk.act("mem1", "sign_up")
    org = Staff(browser, server, "orgadm1", "org_give_up")
    org.tap_link("组织档案")
    org.tap_link("敬老院慰问")
    org.tap("放弃抢单")
    assert org.shows("本组织党员的报名一并取消") and org.shows("不了，返回")
    assert org.shows("已有 1 人通过本组织报名")  # mem1: told before the tap, not after
    org.shot("asks-first")
    org.tap("确定放弃抢单")
    assert "放弃抢单" in org.flash() and org.shows("待抢单") and org.shows("一键抢单")  # open to grab again
    assert org.shows("释放了 1 个通过该组织报名的名额")  # the timeline says what went with it
    org.shot("given-up")
    with factory() as s:
        demand = s.get(Demand, walk.demand_id)
        claims = {(c.org_id, c.user_id): c.status for c in s.scalars(select(Claim).where(Claim.demand_id == demand.id))}
        told = s.scalars(select(Event.data).where(Event.demand_id == demand.id, Event.step == "give_up")).one()
    assert (demand.state, demand.org_id, demand.taken) == ("open", None, 0)
    assert claims == {(world["org1"], None): ClaimStatus.WITHDRAWN, (None, world["mem1"]): ClaimStatus.WITHDRAWN}
    assert told["released_users"] == [world["mem1"]]


def test_org_admin_reports_the_organisation_in_to_a_community_which_approves_it(browser, server, world, factory):
    """The organisation's own 报到: its admin taps 报到 on the home page and picks a community;
    that community's admin finds it among the registrations waiting and approves it."""
    from schemas.tables import OrgRegistration, RegistrationStatus

    org = Staff(browser, server, "orgadm1", "org_report_in")
    org.tap_link("报到")
    card = org.page.locator("form.card", has_text="财政局党支部")
    card.locator("select[name=community_id]").select_option(label="站前社区")
    org.shot("choose")
    card.get_by_role("button", name="提交报到").click()
    org.page.wait_for_load_state()
    assert "报到申请已提交" in org.flash()
    # Sent again (a second tap, the back button): refused plainly, nothing written twice.
    card = org.page.locator("form.card", has_text="财政局党支部")
    card.locator("select[name=community_id]").select_option(label="站前社区")
    card.get_by_role("button", name="提交报到").click()
    org.page.wait_for_load_state()
    assert "正在等社区审核" in org.flash()
    with factory() as s:
        rows = s.scalars(select(OrgRegistration).where(OrgRegistration.org_id == world["org1"],
                                                       OrgRegistration.community_id == world["cb"])).all()
        assert [r.status for r in rows] == [RegistrationStatus.PENDING]

    admin = Staff(browser, server, "cadm_b", "org_report_in_approve")
    admin.tap_link("待办事项")
    assert admin.shows("财政局党支部", within="#registrations")
    admin.tap_card("财政局党支部", within="#registrations")
    admin.page.locator("form.card", has_text="财政局党支部").get_by_role("button", name="通过", exact=True).click()
    admin.page.wait_for_load_state()
    assert "已通过" in admin.flash() and not admin.shows("财政局党支部")
    with factory() as s:
        reg = s.scalar(select(OrgRegistration).where(OrgRegistration.org_id == world["org1"],
                                                     OrgRegistration.community_id == world["cb"]))
        assert reg.status is RegistrationStatus.APPROVED and reg.decided_by == world["cadm_b"]
