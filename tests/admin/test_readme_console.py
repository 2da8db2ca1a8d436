"""The README's "Configure without code", step by step, as a district admin in a browser
(the test world's 伊美区 admin `dadm1` plays `admin_yimei`)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from flows.people import imports
from schemas.clock import LOCAL_TZ
from schemas.tables import AppointmentSlot, NewsPost, ShopItem, TaskCategory, TaskType, User
from tests.admin import test_browser
from tests.admin.test_browser import ARTIFACTS, PNG, Person
from tests.admin.test_console import _xlsx
from tests.flows.walker import Walker

server, browser, pytestmark = test_browser.server, test_browser.browser, test_browser.pytestmark
SHOTS = ARTIFACTS / "readme"


def _save(person: Person) -> None:
    person.page.locator("form.admin-form input[type=submit]").first.click()
    person.page.wait_for_load_state()


def test_configure_without_code(browser, server, factory, world, tmp_path):
    with factory() as s:
        mine = TaskType(code="micro_wish", name="微心愿（伊美区）", category=TaskCategory.MICRO_WISH, default_points=10,
                        workflow_id="micro_wish", district_id=world["d1"])
        item = ShopItem(community_id=world["ca"], name="大米", price=30, stock=2)
        s.add_all([mine, item])
        s.commit()
        world.ids["tt_yimei"], item_id = mine.id, item.id
    admin = Person(browser, server, "dadm1", SHOTS)
    admin.page.set_viewport_size({"width": 1280, "height": 900})
    admin.go("/admin/")

    # 1. Points: 目录 → 任务类型 → 微心愿 → 编辑
    admin.page.get_by_role("link", name="目录").click()
    admin.page.get_by_role("link", name="任务类型").click()
    admin.page.wait_for_load_state()
    assert admin.says("微心愿（伊美区）")
    admin.go(f"/admin/tasktype/edit/?id={world['tt_yimei']}")
    admin.page.fill("#default_points", "30")
    admin.page.fill("#per_hour", "4")
    admin.page.fill("#rating_factors", "5:1.5")
    _save(admin)
    admin.shot("1-points")
    walk = Walker(factory, world)
    walk.start("res_a", "yimei", {"title": "修水管"})
    for user, step, data in [("cadm_a", "publish", {}), ("mem1", "claim", {}),
                             ("mem1", "serve", {"hours": 2, "note": "好"}), ("res_a", "evaluate", {"rating": 5})]:
        walk.act(user, step, data)
    assert walk.balance("mem1") == 57

    # 2. History: 详情 → 修改记录
    admin.go(f"/admin/tasktype/details/?id={world['tt_yimei']}")
    admin.page.click("#history-link")
    admin.page.wait_for_load_state()
    row = admin.page.locator("#history tr.change[data-field=default_points]")
    assert row.locator("td.before").inner_text() == "10" and row.locator("td.after").inner_text() == "30"
    admin.shot("2-history")

    # 3. Timetable: 服务 → 预约时段 → 按周批量排班
    admin.go("/admin/appointmentslot/")
    admin.page.click("#bulk-slots")
    admin.page.select_option("#service_id", str(world["service"]))
    admin.page.check("input[name=weekdays][value='0']")
    admin.page.check("input[name=weekdays][value='2']")
    admin.page.fill("#times", "09:00-10:00, 14:00-15:30")
    first = (datetime.now(UTC) + timedelta(days=1)).astimezone(LOCAL_TZ).date()
    admin.page.fill("#first_day", first.isoformat())
    admin.page.fill("#weeks", "2")
    admin.page.fill("#capacity", "3")
    admin.page.click("#make-slots")
    admin.page.wait_for_load_state()
    assert admin.says("已生成 8 个时段")
    admin.shot("3-slots")
    resident = Person(browser, server, "res_a", SHOTS)
    resident.go("/book")
    resident.page.locator("form[action^='/book/'] button").first.click()
    resident.page.wait_for_load_state()
    assert resident.says("预约成功")

    # 4. News: 目录 → 宣传资讯 → 创建
    admin.go("/admin/newspost/new/")
    admin.page.fill("#title", "志愿者招募")
    admin.page.select_option("#region_id", str(world["ca"]))
    admin.page.fill("#body", "欢迎报名。")
    cover = tmp_path / "cover.png"
    cover.write_bytes(PNG)
    admin.page.set_input_files("#cover", str(cover))
    admin.page.fill("#published_at", (datetime.now(UTC) - timedelta(minutes=1)).astimezone(LOCAL_TZ)
                    .strftime("%Y-%m-%d %H:%M"))
    _save(admin)
    admin.shot("4-news")
    resident.go("/news")
    assert resident.says("志愿者招募")

    # 5. Shop: 目录 → 积分超市商品 → 详情 → 补货 / 出库
    admin.go(f"/admin/shopitem/details/?id={item_id}")
    admin.page.fill("#delta", "20")
    admin.page.fill("#reason", "新到一批")
    admin.page.click("#restock button[type=submit]")
    admin.page.wait_for_load_state()
    assert admin.says("库存已调整为 22")
    admin.shot("5-restock")

    # 6. Imports: 人员 → Excel 导入
    book = tmp_path / "members.xlsx"
    book.write_bytes(_xlsx(imports.MEMBER_COLUMNS, [["zhao6", "赵六", "13845800006", "财政局", "财政局党支部",
                                                     "旭日社区", "水电维修"]]))
    admin.go("/admin/imports/")
    admin.page.set_input_files("input[name=file]", str(book))
    admin.page.get_by_role("button", name="导入").click()
    admin.page.wait_for_load_state()
    assert admin.says("已导入 1 条")
    admin.shot("6-import")
    elsewhere = tmp_path / "elsewhere.xlsx"  # 税务局党支部 and 站前社区 are 铁力市's
    elsewhere.write_bytes(_xlsx(imports.MEMBER_COLUMNS, [["qian7", "钱七", "", "税务局", "税务局党支部", "站前社区", ""]]))
    admin.page.set_input_files("input[name=file]", str(elsewhere))
    admin.page.get_by_role("button", name="导入").click()
    admin.page.wait_for_load_state()
    assert admin.says("没有导入任何数据") and admin.says("不是您管辖范围内的社区")
    with factory() as s:
        assert s.scalar(select(User).where(User.username == "zhao6")) is not None
        assert s.scalar(select(User).where(User.username == "qian7")) is None
        assert s.scalar(select(func.count()).select_from(AppointmentSlot).where(AppointmentSlot.capacity == 3)) == 8
        assert s.scalar(select(NewsPost.cover).where(NewsPost.title == "志愿者招募"))
        assert s.get(ShopItem, item_id).stock == 22
