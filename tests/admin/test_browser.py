"""Real browser, real server: the micro-wish and joint-activity loops as a resident, a
member, an organisation admin and a community admin, on a phone-sized screen.

Screenshots of every step are kept in tests/artifacts/ for a person to look at.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from schemas.clock import LOCAL_TZ
from tests.admin.journeys.people import ARTIFACTS, PNG, door_link, launch, needs_browser, serve
from tests.admin.journeys.people import Person as Phone
from tests.world import the_start_comes

pytestmark = needs_browser


@pytest.fixture
def server(app):
    yield from serve(app)


@pytest.fixture(scope="module")
def browser():
    yield from launch()


class Person(Phone):
    """These loops predate the journeys: they open pages by URL (a journey taps from home)."""

    def go(self, path: str):
        self.page.goto(self.base + path)


def test_micro_wish_loop(browser, server, world):
    shots = ARTIFACTS / "micro_wish"
    resident = Person(browser, server, "res_a", shots)
    resident.go("/new/micro_wish")
    resident.page.fill("#f-title", "给独居老人修灯")
    resident.page.fill("#f-place", "3号楼2单元")
    resident.shot("post-form")
    resident.tap("发布心愿")
    assert resident.says("发布心愿成功") and resident.says("待审核")
    demand_url = resident.page.url.replace(server, "")

    admin = Person(browser, server, "cadm_a", shots)
    admin.go(demand_url)
    admin.tap("审核发布")
    assert admin.says("审核发布成功")
    admin.shot("published")

    member = Person(browser, server, "mem1", shots)
    member.go("/hall")
    assert member.says("给独居老人修灯") and not member.says("匹配你的技能")  # a wish asks for no skill
    member.shot("hall")
    member.page.get_by_text("给独居老人修灯").click()
    member.tap("认领")
    assert member.says("认领成功")
    member.shot("claimed")
    member.page.get_by_role("link", name="完成服务").click()
    member.page.fill("#f-hours", "20")
    member.page.fill("#f-note", "换了灯泡")
    member.tap("完成服务")
    assert member.says("不能大于 12")  # the error sits next to its field
    member.shot("serve-error")
    member.page.fill("#f-hours", "2")
    member.page.fill("#f-note", "换了灯泡和开关")
    member.page.set_input_files("#f-photo", files=[{"name": "proof.png", "mimeType": "image/png", "buffer": PNG}])
    member.tap("完成服务")
    assert member.says("完成服务成功")

    resident.go(demand_url)
    resident.page.get_by_role("link", name="评价").click()
    resident.page.click("label[for=f-rating-5]")
    resident.page.fill("#f-comment", "很满意，谢谢！")
    resident.shot("evaluate")
    resident.tap("评价")
    assert resident.says("评价成功") and resident.says("已完成")
    resident.shot("done")

    member.go("/points")
    assert member.says("+17")
    member.shot("points")


def test_joint_activity_loop(app, browser, server, world, factory):
    shots = ARTIFACTS / "joint_activity"
    admin = Person(browser, server, "cadm_a", shots)
    admin.go("/new/env_cleanup")
    # Beijing time, as the form reads it: the QR sign-in opens an hour before the start
    start = datetime.now(LOCAL_TZ).replace(second=0, microsecond=0, tzinfo=None) + timedelta(minutes=30)
    admin.page.fill("#f-title", "楼道清理大扫除")
    admin.page.fill("#f-description", "清理楼道杂物，张贴文明标语")
    admin.page.fill("#f-place", "旭日社区广场")
    admin.page.fill("#f-starts_at", start.strftime("%Y-%m-%dT%H:%M"))
    admin.page.fill("#f-ends_at", (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    admin.page.fill("#f-capacity", "2")
    admin.shot("create")
    admin.tap("创建活动")
    assert admin.says("创建活动成功")
    demand_url = admin.page.url.replace(server, "")
    admin.tap("发布")

    org = Person(browser, server, "orgadm1", shots)
    org.go(demand_url)
    org.tap("一键抢单")
    assert org.says("一键抢单成功") and org.says("报名中")
    org.shot("grabbed")

    members = [Person(browser, server, name, shots) for name in ("mem1", "mem2", "resmem")]
    for person in members[:2]:
        person.go(demand_url)
        person.tap("报名")
        assert person.says("报名成功")
    members[2].go(demand_url)  # full: the page says so where the button was, before any tap
    assert members[2].says("名额已满") and members[2].page.get_by_role("button", name="报名", exact=True).count() == 0
    members[2].shot("full")

    admin.go(demand_url)
    admin.tap("开始活动")
    for person in members[:2]:
        person.page.goto(door_link(app, server, int(demand_url.rsplit("/", 1)[1])))  # the QR code at the door
        person.tap("签到")
        assert person.says("签到成功")
        person.tap("签退")
    members[0].shot("signed-out")
    admin.go(demand_url)  # half an hour before the start: no 结束活动 yet, and the page says when
    assert admin.page.get_by_role("button", name="结束活动").count() == 0
    assert admin.page.inner_text("#why-not").startswith("结束活动：还没到时间：")
    admin.shot("not-yet")
    the_start_comes(factory, int(demand_url.rsplit("/", 1)[1]))
    admin.go(demand_url)
    admin.tap("结束活动")
    admin.page.get_by_role("link", name="评价活动").click()
    admin.page.click("label[for=f-rating-5]")
    admin.tap("评价活动")
    assert admin.says("已完成")
    admin.shot("done")

    org.go("/org")
    assert org.says("楼道清理大扫除") and org.says("mem1") and org.says("mem2")
    org.shot("back-office")


def test_district_admin_changes_points_and_publishes_a_new_field(browser, server, world, factory):
    """Points edited in the console and a field added in YAML reach members with no code change."""
    from schemas.settings import ROOT
    from schemas.tables import TaskType

    shots = ARTIFACTS / "console"
    admin = Person(browser, server, "dadm1", shots)
    admin.page.set_viewport_size({"width": 1280, "height": 900})
    admin.go("/admin/")
    assert admin.says("报到党员")
    admin.shot("dashboard")
    admin.go(f"/admin/tasktype/edit/?id={world['tt_micro_wish']}")
    assert admin.page.get_by_text("只有市级管理员").count() == 0
    admin.go("/admin/shopitem/")
    admin.shot("shop-items")
    # the micro-wish type is city-wide: a district admin may read it but only the city may change it
    city = Person(browser, server, "cityadm", shots)
    city.page.set_viewport_size({"width": 1280, "height": 900})
    city.go(f"/admin/tasktype/edit/?id={world['tt_micro_wish']}")
    city.page.fill("#default_points", "40")
    city.page.click("input[type=submit]")
    city.page.wait_for_load_state()
    with factory() as s:
        assert s.get(TaskType, world["tt_micro_wish"]).default_points == 40

    admin.go("/admin/workflows/edit/micro_wish")
    source = (ROOT / "workflows" / "micro_wish.yaml").read_text("utf-8")
    broken = source.replace("to: claimed", "to: somewhere", 1)
    admin.page.fill("#source", broken)
    admin.page.wait_for_selector(".problem")  # live validation from the server's compiler
    assert "somewhere" in admin.page.inner_text("#problems")
    admin.shot("live-error")
    edited = source.replace("      photo: {type: image, title: 现场照片, required: false}",
                            "      photo: {type: image, title: 现场照片, required: false}\n"
                            "      helpers: {type: integer, title: 同行人数, min: 0, max: 10}")
    admin.page.fill("#source", edited)
    admin.page.wait_for_selector(".problem-free")
    admin.page.click("button[value=dryrun]")
    admin.page.wait_for_load_state()
    assert admin.says("试运行 ✓ 通过")
    admin.shot("dry-run")
    admin.page.click("#publish")
    admin.page.wait_for_load_state()
    assert admin.says("已发布为 v2")
    admin.shot("history")

    resident = Person(browser, server, "res_a", shots)
    resident.go("/new/micro_wish")
    resident.page.fill("#f-title", "新版本的心愿")
    resident.tap("发布心愿")
    demand_url = resident.page.url.replace(server, "")
    cadm = Person(browser, server, "cadm_a", shots)
    cadm.go(demand_url)
    cadm.tap("审核发布")
    member = Person(browser, server, "mem1", shots)
    member.go(demand_url)
    member.tap("认领")
    member.page.get_by_role("link", name="完成服务").click()
    assert member.page.locator("#f-helpers").count() == 1 and member.says("同行人数")
    member.shot("new-field")
