"""Real browser: a district admin changes an SLA and adds a form field in their district's
line of the micro-wish workflow; a second district's demands and forms stay as they were."""
from __future__ import annotations

from schemas.settings import ROOT
from tests.admin.test_browser import ARTIFACTS, Person, browser, pytestmark, server  # noqa: F401

SOURCE = (ROOT / "workflows" / "micro_wish.yaml").read_text("utf-8")
EDITED = (SOURCE.replace("sla: {within: 2d, then: escalate}", "sla: {within: 1d, then: escalate}")
          .replace("      starts_at:   {type: datetime, title: 希望时间, required: false}",
                   "      starts_at:   {type: datetime, title: 希望时间, required: false}\n"
                   "      floor:       {type: text, title: 所在楼层, max_length: 20, required: false}"))


def test_a_district_changes_its_line_and_another_district_is_untouched(browser, server, world, factory):  # noqa: F811
    from sqlalchemy import select

    from flows.workflow import registry
    from schemas.tables import Demand
    from tests.flows.walker import Walker

    assert EDITED.count("floor") == 1 and "within: 1d" in EDITED
    before = Walker(factory, world)
    before.start("res_b", "micro_wish", {"title": "铁力市早先的心愿"}, community="cb")
    shots = ARTIFACTS / "workflow_lines"

    admin = Person(browser, server, "dadm1", shots)
    admin.page.set_viewport_size({"width": 1280, "height": 900})
    admin.go("/admin/workflows/")
    admin.page.locator(f"tr[data-line='micro_wish:{world['d1']}'] a", has_text="编辑").click()
    admin.page.wait_for_load_state()
    assert "伊美区 · v1（跟随全市模板）" in admin.page.inner_text("#line-name")
    admin.page.fill("#source", EDITED)
    admin.page.wait_for_selector(".problem-free")
    admin.page.click("button[value=dryrun]")
    admin.page.wait_for_load_state()
    assert admin.says("试运行 ✓ 通过") and admin.says("在 伊美区 的副本中")
    admin.shot("dry-run")
    admin.page.click("#publish")
    admin.page.wait_for_load_state()
    assert admin.says("已发布为 v2（伊美区）")
    admin.shot("history")

    mine = Person(browser, server, "res_a", shots)
    mine.go("/new/micro_wish")
    assert mine.page.locator("#f-floor").count() == 1 and mine.says("所在楼层")
    mine.page.fill("#f-title", "伊美区的新心愿")
    mine.page.fill("#f-floor", "3楼")
    mine.tap("发布心愿")
    assert mine.says("发布心愿成功")
    mine.shot("new-field")

    theirs = Person(browser, server, "res_b", shots)
    theirs.go("/new/micro_wish")
    assert theirs.page.locator("#f-floor").count() == 0 and not theirs.says("所在楼层")
    theirs.page.fill("#f-title", "铁力市的新心愿")
    theirs.tap("发布心愿")
    assert theirs.says("发布心愿成功")
    theirs.shot("unchanged-form")

    with factory() as s:
        demands = {d.title: d for d in s.scalars(select(Demand))}
        assert demands["铁力市早先的心愿"].workflow_version == 1
        assert demands["铁力市的新心愿"].workflow_version == 1
        assert demands["伊美区的新心愿"].workflow_version == 2
        assert demands["伊美区的新心愿"].data.get("floor") == "3楼"
        mine_wf = registry.load(s, "micro_wish", 2)
        theirs_wf = registry.load(s, "micro_wish", 1)
        assert mine_wf.spec.steps["publish"].sla.within.days == 1
        assert theirs_wf.spec.steps["publish"].sla.within.days == 2
