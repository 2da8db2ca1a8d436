"""The console in a real browser: every edit form saved unchanged changes nothing; a district
admin tunes points for their district only; news reaches the portal; slots made in bulk are
booked; every role's change shows before and after on the row's history page."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from flows.core import audit
from schemas.clock import LOCAL_TZ
from schemas.tables import (
    AppointmentService,
    AppointmentSlot,
    AuditLog,
    DirectoryEntry,
    DirectoryKind,
    DirectoryService,
    LimitPeriod,
    Member,
    NewsPost,
    Organisation,
    PointPolicy,
    ShopItem,
    Skill,
    TaskCategory,
    TaskType,
)
from tests.admin import test_browser
from tests.admin.test_browser import ARTIFACTS, PNG, Person
from tests.flows.walker import Walker
from tests.world import NOW

SHOTS = ARTIFACTS / "console"
# the real server and browser of the portal's browser tests, and their skip without Chromium
server, browser, pytestmark = test_browser.server, test_browser.browser, test_browser.pytestmark


def _admin(browser, server, user: str) -> Person:
    person = Person(browser, server, user, SHOTS)
    person.page.set_viewport_size({"width": 1280, "height": 900})
    return person


@pytest.fixture
def varied(factory, world) -> dict[str, tuple[type, int]]:
    """A row of every editable view, with values that are not any form's default (an enum's
    later member, a time with seconds, coordinates with many digits, several skills…)."""
    with factory() as s:
        task_type = TaskType(code="urgent_yimei", name="急难愁盼", category=TaskCategory.URGENT, default_points=20,
                             per_hour=3.5, rating_factors={"1": 0.0, "5": 1.5}, workflow_id="micro_wish",
                             district_id=world["d1"], description="夜间急事")
        item = ShopItem(community_id=world["ca"], name="洗衣液", description="2kg", price=45, stock=9, limit_qty=2,
                        limit_period=LimitPeriod.WEEK, on_sale=False)
        news = NewsPost(region_id=world["ca"], title="社区通知", summary="停水", body="周六停水\n请储水",
                        published_at=NOW.replace(second=37, microsecond=120000))
        entry = DirectoryEntry(community_id=world["ca"], kind=DirectoryKind.INSTITUTION, name="社区卫生站",
                               address="旭日路 3 号", phone="0458-3388123", hours="8:00-17:00", lat=47.7123456,
                               lng=128.8123456, description="量血压")
        s.add_all([task_type, item, news, entry])
        s.flush()
        item_service = DirectoryService(entry_id=entry.id, name="量血压", category="医疗", description="免费")
        s.add(item_service)
        skill = Skill(code="cook", name="烹饪")
        s.add(skill)
        member = s.get(Member, world["mem1"])
        member.availability, member.bio = "周末", "退休教师"
        member.skills = [*member.skills, skill]
        org = s.get(Organisation, world["org1"])
        org.contact_name, org.contact_phone = "王书记", "13900000001"
        service = s.get(AppointmentService, world["service"])
        service.provider_org_id, service.description = world["org1"], "每周二"
        s.commit()
        return {"tasktype": (TaskType, task_type.id), "pointpolicy": (PointPolicy, 1), "shopitem": (ShopItem, item.id),
                "newspost": (NewsPost, news.id), "directoryentry": (DirectoryEntry, entry.id),
                "directoryservice": (DirectoryService, item_service.id), "organisation": (Organisation, world["org1"]),
                "member": (Member, world["mem1"]), "appointmentservice": (AppointmentService, world["service"]),
                "appointmentslot": (AppointmentSlot, world["slot"])}


def _state(factory, model, row_id):
    with factory() as s:
        row = s.get(model, row_id)
        state = audit.snapshot(row)
        if isinstance(row, Member):
            state["skills"] = sorted(k.name for k in row.skills)
        return state


def test_saving_every_edit_form_unchanged_changes_nothing(browser, server, factory, varied):
    city = _admin(browser, server, "cityadm")
    for endpoint, (model, row_id) in varied.items():
        before = _state(factory, model, row_id)
        city.go(f"/admin/{endpoint}/edit/?id={row_id}")
        assert city.page.locator("form.admin-form").count() == 1, endpoint
        # every edit form carries what it showed (a save after someone else's is refused: test_console)
        assert city.page.locator("form.admin-form input[name=yijia_read_as]").count() == 1, endpoint
        city.page.locator("form.admin-form input[type=submit]").first.click()
        city.page.wait_for_load_state()
        assert "/edit/" not in city.page.url, f"{endpoint}: the form was refused: {city.page.inner_text('body')[:300]}"
        assert _state(factory, model, row_id) == before, endpoint
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(AuditLog)) == 0  # nothing changed, nothing audited


def test_a_district_admin_tunes_points_for_their_district_only(browser, server, factory, world):
    """伊美区 gives its own micro-wish type per-hour points and a five-star bonus; 铁力市's
    residents still get the city's type and the workflow's rules."""
    from tests.flows.walker import Walker

    with factory() as s:
        mine = TaskType(code="micro_wish", name="伊美区微心愿", category=TaskCategory.MICRO_WISH, default_points=10,
                        workflow_id="micro_wish", district_id=world["d1"])
        s.add(mine)
        s.commit()
        world.ids["tt_yimei"] = mine.id
    admin = _admin(browser, server, "dadm1")
    admin.go("/admin/tasktype/")
    assert admin.says("伊美区微心愿")
    admin.go(f"/admin/tasktype/edit/?id={world['tt_yimei']}")
    admin.page.fill("#default_points", "30")
    admin.page.fill("#per_hour", "99")
    admin.page.fill("#rating_factors", "5:1.5")
    admin.page.locator("form.admin-form input[type=submit]").first.click()
    admin.page.wait_for_load_state()
    assert admin.says("每小时积分应在 0 到市里设定的上限 20 之间")  # beside the field, nothing saved
    admin.shot("points-refused")
    admin.page.fill("#per_hour", "4")
    admin.page.select_option("#workflow_id", value="joint_activity")  # a wish type on the activity workflow
    admin.page.locator("form.admin-form input[type=submit]").first.click()
    admin.page.wait_for_load_state()
    assert admin.says("是联建活动的工作流，不能用于“微心愿”类别")  # its residents would lose the button
    admin.shot("workflow-refused")
    with factory() as s:
        assert s.get(TaskType, world["tt_yimei"]).workflow_id == "micro_wish"
    admin.page.select_option("#workflow_id", value="micro_wish")
    admin.page.fill("#per_hour", "4")
    admin.page.locator("form.admin-form input[type=submit]").first.click()
    admin.page.wait_for_load_state()
    admin.shot("points-saved")
    with factory() as s:
        saved = s.get(TaskType, world["tt_yimei"])
        assert (saved.default_points, saved.per_hour, saved.rating_factors) == (30, 4, {"5": 1.5})
        assert s.get(TaskType, world["tt_micro_wish"]).default_points == 10  # the city's, used by 铁力市
    admin.go(f"/admin/tasktype/edit/?id={world['tt_micro_wish']}")
    assert "/edit/" not in admin.page.url  # the city-wide type is not theirs to edit

    resident_b = Person(browser, server, "res_b", SHOTS)
    resident_b.go("/new/micro_wish")
    assert resident_b.page.title() and not resident_b.says("伊美区微心愿")
    resident_a = Person(browser, server, "res_a", SHOTS)
    resident_a.go("/new/micro_wish")
    assert resident_a.says("伊美区微心愿")
    walk_a, walk_b = Walker(factory, world), Walker(factory, world)
    walk_a.start("res_a", "yimei", {"title": "修灯"})
    for user, step, data in [("cadm_a", "publish", {}), ("mem1", "claim", {}), ("mem1", "serve", {"hours": 2, "note": "好"}),
                             ("res_a", "evaluate", {"rating": 5})]:
        walk_a.act(user, step, data)
    walk_b.start("res_b", "micro_wish", {"title": "修门"}, community="cb")
    for user, step, data in [("cadm_b", "publish", {}), ("mem3", "claim", {}), ("mem3", "serve", {"hours": 2, "note": "好"}),
                             ("res_b", "evaluate", {"rating": 5})]:
        walk_b.act(user, step, data)
    assert walk_a.balance("mem1") == 57  # (30 + 4 × 2 h) × 1.5
    assert walk_b.balance("mem3") == 17  # (10 + 2 × 2 h) × 1.2, as before


def test_news_published_from_the_console_appears_in_the_portal(browser, server, factory, world, tmp_path):
    admin = _admin(browser, server, "cadm_a")
    admin.go("/admin/newspost/new/")
    admin.page.fill("#title", "冬季供暖通知")
    admin.page.select_option("#region_id", str(world["ca"]))
    admin.page.fill("#body", "本周起开始供暖。")
    cover = tmp_path / "cover.png"
    cover.write_bytes(PNG)
    admin.page.set_input_files("#cover", str(cover))
    admin.page.locator("form.admin-form input[type=submit]").first.click()
    admin.page.wait_for_load_state()
    resident = Person(browser, server, "res_a", SHOTS)
    resident.go("/news")
    assert not resident.says("冬季供暖通知")  # a draft: no publish time yet
    with factory() as s:
        post_id = s.scalar(select(NewsPost.id).where(NewsPost.title == "冬季供暖通知"))
    admin.go(f"/admin/newspost/edit/?id={post_id}")
    shown = (datetime.now(UTC) - timedelta(minutes=1)).astimezone(LOCAL_TZ)
    admin.page.fill("#published_at", shown.strftime("%Y-%m-%d %H:%M"))
    admin.page.locator("form.admin-form input[type=submit]").first.click()
    admin.page.wait_for_load_state()
    admin.shot("news-list")
    resident.go("/news")
    assert resident.says("冬季供暖通知")
    resident.page.get_by_text("冬季供暖通知").click()
    resident.page.wait_for_load_state()
    assert resident.page.locator("img.cover").count() == 1
    assert resident.page.evaluate("document.querySelector('img.cover').naturalWidth") == 1  # the picture is served
    resident.shot("news-post")


def _save(admin: Person) -> None:
    """保存 on a console form, and the page it leads to."""
    admin.page.locator("form.admin-form input[type=submit]").first.click()
    admin.page.wait_for_load_state()


def _fill_post(admin: Person, community: int, title: str, body: str, *, publish_now: bool = False) -> None:
    """A news post typed into the form on screen (a new one, or one the browser brought back)."""
    admin.page.fill("#title", title)
    admin.page.select_option("#region_id", str(community))
    admin.page.fill("#body", body)
    if publish_now:
        admin.page.check("#publish_now")


def _new_post(admin: Person, community: int, title: str, body: str, *, publish_now: bool = False) -> None:
    admin.go("/admin/newspost/new/")
    _fill_post(admin, community, title, body, publish_now=publish_now)


def _posts_titled(factory, title: str) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(NewsPost).where(NewsPost.title == title))


def test_a_post_is_published_now_with_one_tick_and_a_draft_says_so(browser, server, factory, world):
    """Publishing now meant typing the current time to the minute, and a post saved without one
    said only 保存成功 while nobody could see it (the walk)."""
    admin = _admin(browser, server, "cadm_a")
    _new_post(admin, world["ca"], "停水通知", "明天上午停水。")
    _save(admin)
    assert admin.says("已存为草稿，居民还看不到")
    _new_post(admin, world["ca"], "供暖开始", "今天起供暖。", publish_now=True)
    admin.shot("publish-now")
    _save(admin)
    assert not admin.says("已存为草稿")
    with factory() as s:
        posts = dict(s.execute(select(NewsPost.title, NewsPost.published_at)).all())
    assert posts["停水通知"] is None and posts["供暖开始"] is not None
    resident = Person(browser, server, "res_a", SHOTS)
    resident.go("/news")
    assert resident.says("供暖开始") and not resident.says("停水通知")
    # the draft published later with the tick alone (the one change: it was lost as "nothing changed")
    with factory() as s:
        draft_id = s.scalar(select(NewsPost.id).where(NewsPost.title == "停水通知"))
    admin.go(f"/admin/newspost/edit/?id={draft_id}")
    admin.page.check("#publish_now")
    _save(admin)
    with factory() as s:
        assert s.get_one(NewsPost, draft_id).published_at is not None
        audited = s.scalar(select(AuditLog.after).where(AuditLog.table_name == "news_posts", AuditLog.action == "update",
                                                        AuditLog.row_id == str(draft_id)))
        assert audited is not None and "published_at" in audited
    # Back and 保存 again on a post published at once: asked, as for a draft
    for _attempt in range(2):
        _new_post(admin, world["ca"], "停电通知", "周五停电。", publish_now=True)
        _save(admin)
    assert admin.says("刚创建过一条一样的记录")
    assert _posts_titled(factory, "停电通知") == 1


def test_back_and_save_again_creates_nothing_twice(browser, server, factory, world):
    """Back and 保存 again sent the same create form twice: two news posts (the walk). The form
    carries a one-time key; the second is refused and says so, and nothing more is made."""
    admin = _admin(browser, server, "dadm1")
    _new_post(admin, world["ca"], "冬季防火提示", "请勿在楼道堆放杂物。")
    _save(admin)
    admin.page.go_back()
    admin.page.wait_for_load_state()
    if admin.page.input_value("#title") != "冬季防火提示":  # the browser may not restore what was typed
        _fill_post(admin, world["ca"], "冬季防火提示", "请勿在楼道堆放杂物。")
    _save(admin)
    assert admin.says("刚创建过一条一样的记录，这次没有再建")
    admin.shot("create-twice-asked")
    assert _posts_titled(factory, "冬季防火提示") == 1
    _save(admin)  # meant: a second one
    assert _posts_titled(factory, "冬季防火提示") == 2
    _new_post(admin, world["ca"], "冬季防火提示", "第三次提醒。")  # other words: made at once
    _save(admin)
    assert _posts_titled(factory, "冬季防火提示") == 3


def test_slots_made_in_bulk_can_be_booked(browser, server, factory, world):
    admin = _admin(browser, server, "cadm_a")
    admin.go("/admin/appointmentslot/")
    admin.page.click("#bulk-slots")
    admin.page.select_option("#service_id", str(world["service"]))
    for day in ("0", "2"):  # Mondays and Wednesdays
        admin.page.check(f"input[name=weekdays][value='{day}']")
    admin.page.fill("#times", "09:00-10:00, 14:00-15:30")
    first = (datetime.now(UTC) + timedelta(days=1)).astimezone(LOCAL_TZ).date()
    admin.page.fill("#first_day", first.isoformat())
    admin.page.fill("#weeks", "2")
    admin.page.fill("#capacity", "3")
    admin.shot("slot-pattern")
    admin.page.click("#make-slots")
    admin.page.wait_for_load_state()
    assert admin.says("已生成 8 个时段")
    admin.shot("slots")
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(AppointmentSlot).where(
            AppointmentSlot.service_id == world["service"], AppointmentSlot.capacity == 3)) == 8
    # the same pattern again clashes with itself: all or nothing
    admin.go("/admin/appointmentslot/bulk/")
    admin.page.select_option("#service_id", str(world["service"]))
    admin.page.check("input[name=weekdays][value='0']")
    admin.page.fill("#times", "09:30-10:30")
    admin.page.fill("#first_day", first.isoformat())
    admin.page.fill("#weeks", "2")
    admin.page.click("#make-slots")
    admin.page.wait_for_load_state()
    assert admin.says("已有的时段重叠")
    resident = Person(browser, server, "res_a", SHOTS)
    resident.go("/book")
    resident.shot("book")
    resident.page.locator("form[action^='/book/'] button").first.click()
    resident.page.wait_for_load_state()
    assert resident.says("预约成功")
    with factory() as s:
        assert s.scalar(select(func.sum(AppointmentSlot.booked)).where(AppointmentSlot.service_id == world["service"])) == 1


def test_a_booked_slot_keeps_its_time_and_says_how_to_call_the_bookings_off(browser, server, factory, world):
    """Moving a booked slot moved the list and left the booking (its demand, the member sent)
    at the old time, and nobody was told (the walk). Its time is refused, beside the field, with
    what to do instead; its capacity may still change; deleting it says why not."""
    Walker(factory, world).start("res_a", "appointment", {"title": "义务理发预约"}, slot=world["slot"])
    with factory() as s:
        before = s.get_one(AppointmentSlot, world["slot"])
        starts, ends = before.starts_at, before.ends_at
    admin = _admin(browser, server, "cadm_a")
    admin.go(f"/admin/appointmentslot/edit/?id={world['slot']}")
    later = (starts + timedelta(hours=5)).astimezone(LOCAL_TZ)
    admin.page.fill("#starts_at", later.strftime("%Y-%m-%dT%H:%M"))
    admin.page.fill("#ends_at", (later + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    admin.page.locator("input[type=submit][value='保存']").first.click()
    admin.page.wait_for_load_state()
    assert admin.says("这个时段已有 1 人预约，不能改时间或服务") and admin.says("社区取消") and admin.says("预约安排")
    admin.shot("booked-slot-time-refused")
    with factory() as s:
        kept = s.get_one(AppointmentSlot, world["slot"])
        assert (kept.starts_at, kept.ends_at) == (starts, ends)
    admin.go(f"/admin/appointmentslot/edit/?id={world['slot']}")
    admin.page.fill("#capacity", "4")
    admin.page.locator("input[type=submit][value='保存']").first.click()
    admin.page.wait_for_load_state()
    with factory() as s:
        kept = s.get_one(AppointmentSlot, world["slot"])
        assert (kept.capacity, kept.starts_at, kept.booked) == (4, starts, 1)
    admin.go("/admin/appointmentslot/")
    admin.page.once("dialog", lambda dialog: dialog.accept())
    admin.page.locator(f"form[action*='delete'] input[name=id][value='{world['slot']}']").locator("..").locator(
        "button, input[type=submit]").first.click()
    admin.page.wait_for_load_state()
    assert admin.says("这个时段有过预约，不能删除")
    with factory() as s:
        assert s.get(AppointmentSlot, world["slot"]) is not None
    # 停用 the service: allowed, and it says the booking made stands and how to call it off
    admin.go(f"/admin/appointmentservice/edit/?id={world['service']}")
    admin.page.uncheck("#is_active")
    admin.page.locator("input[type=submit][value='保存']").first.click()
    admin.page.wait_for_load_state()
    assert admin.says("已停用：不再接受新的预约。已有的 1 个预约照常有效") and admin.says("社区取消") and admin.says("预约安排")
    admin.shot("service-stopped-bookings-stand")
    with factory() as s:
        assert s.get_one(AppointmentService, world["service"]).is_active is False


@pytest.mark.parametrize("user", ["cityadm", "dadm1", "cadm_a"])
def test_the_history_page_shows_before_and_after_for_each_role(browser, server, factory, world, user):
    with factory() as s:
        item = ShopItem(community_id=world["ca"], name="挂面", price=12, stock=3)
        s.add(item)
        s.commit()
        item_id = item.id
    admin = _admin(browser, server, user)
    admin.go(f"/admin/shopitem/edit/?id={item_id}")
    admin.page.fill("#price", "15")
    admin.page.locator("form.admin-form input[type=submit]").first.click()
    admin.page.wait_for_load_state()
    admin.go(f"/admin/shopitem/details/?id={item_id}")
    admin.page.click("#history-link")
    admin.page.wait_for_load_state()
    row = admin.page.locator("#history tr.change[data-field=price]")
    assert row.locator("td.before").inner_text() == "12" and row.locator("td.after").inner_text() == "15"
    assert admin.says(user)
    admin.shot(f"history-{user}")
    with factory() as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.table_name == "shop_items")).all()
        assert [(r.action, r.actor_id, r.before, r.after) for r in rows] == [
            ("update", world[user], {"price": 12}, {"price": 15})]


@pytest.mark.parametrize("path", ["/admin/tasktype/", "/admin/workflows/"])
def test_the_console_reads_at_phone_width(browser, server, world, path):
    """At 390 px a table scrolls sideways inside its own box; its cells keep a readable width
    (Chinese was squeezed to one character a line) and the page itself does not scroll sideways."""
    admin = Person(browser, server, "dadm1", SHOTS)  # 390×844, as every journey
    admin.go(path)
    assert admin.page.evaluate("document.documentElement.scrollWidth") <= 390
    table = admin.page.locator("#console-main table.table").first
    assert table.evaluate("t => getComputedStyle(t).overflowX") == "auto"
    header = table.locator("th").filter(has_text="名称" if "tasktype" in path else "版本线").first
    box = header.bounding_box()
    assert box is not None and box["width"] >= 3 * 14  # at least three characters side by side
    narrowest = min(cell.bounding_box()["width"] for cell in table.locator("tbody td").all()[:12]
                    if cell.evaluate("c => !c.matches('.list-checkbox-column, .list-buttons-column')"))
    assert narrowest >= 4 * 14, narrowest
    admin.shot(f"phone-{path.strip('/').replace('/', '-')}")
