"""The admin console: scoping by role in every path, workflow publishing guarded by the
compiler, Excel import all-or-nothing, bulk steps through the engine, audit."""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from flows.people import imports
from schemas.settings import ROOT
from schemas.tables import AuditLog, Member, MemberRegistration, Organisation, ShopItem, TaskType, WorkflowVersion
from tests.admin.prefect_ui import prefect_ui
from tests.flows.walker import Walker


def token(client, url: str) -> str:
    """The app-wide CSRF token from a page."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(url).get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def tokens(client, url: str) -> dict[str, str]:
    """The CSRF field of an admin model form (Flask-Admin's SecureForm). A list page's forms each
    carry one, stamped with the second it was made: a slow render may straddle two seconds, and
    each token is as good as the other (one `app-wide` token would be a different format)."""
    page = client.get(url).get_data(as_text=True)
    found = re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert found and all("##" in t for t in found), f"expected SecureForm CSRF tokens on {url}, got {found}"
    return {"csrf_token": found[0]}


@pytest.fixture
def items(factory, world):
    with factory() as s:
        mine = ShopItem(community_id=world["ca"], name="本区大米", price=10, stock=5)
        theirs = ShopItem(community_id=world["cb"], name="外区挂面", price=10, stock=5)
        s.add_all([mine, theirs])
        s.commit()
        return {"mine": mine.id, "theirs": theirs.id}


def test_non_admins_are_kept_out(app, login, world):
    assert login("mem1").get("/admin/shopitem/").status_code == 403
    assert login("orgadm1").get("/admin/workflows/").status_code == 403
    anonymous = app.test_client().get("/admin/shopitem/")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert login("cadm_a").get("/admin/shopitem/").status_code == 200


@pytest.mark.parametrize("user, sees_theirs", [("dadm1", False), ("cadm_a", False), ("cadm_b", True), ("cityadm", True)])
def test_scoping_in_list_count_export_filter_and_urls(login, world, items, user, sees_theirs):
    client = login(user)
    listing = client.get("/admin/shopitem/").get_data(as_text=True)
    assert ("外区挂面" in listing) is sees_theirs
    details = client.get(f"/admin/shopitem/details/?id={items['theirs']}", follow_redirects=True)
    assert ("外区挂面" in details.get_data(as_text=True)) is sees_theirs
    edit = client.get(f"/admin/shopitem/edit/?id={items['theirs']}", follow_redirects=True)
    assert ('value="外区挂面"' in edit.get_data(as_text=True)) is sees_theirs
    exported = load_workbook(io.BytesIO(client.get("/admin/shopitem/export.xlsx").data))
    names = [row[0] for row in exported.active.iter_rows(min_row=2, values_only=True)]
    assert ("外区挂面" in names) is sees_theirs
    filtered = client.get(f"/admin/shopitem/?flt0_community_id_equals={world['cb']}").get_data(as_text=True)
    assert ("外区挂面" in filtered) is sees_theirs


def test_cannot_change_or_move_rows_out_of_scope(login, world, items, factory):
    client = login("dadm1")
    csrf = tokens(client, f"/admin/shopitem/edit/?id={items['mine']}")
    client.post(f"/admin/shopitem/edit/?id={items['theirs']}", data={**csrf, "name": "改掉", "price": "1",
                                                                    "stock": "1", "community_id": world["cb"]})
    client.post("/admin/shopitem/new/", data={**tokens(client, "/admin/shopitem/new/"), "name": "越界商品", "price": "5", "stock": "1",
                                              "limit_period": "month", "community_id": world["cb"]})
    client.post(f"/admin/shopitem/edit/?id={items['mine']}", data={**csrf, "name": "本区大米", "price": "10",
                                                                  "stock": "5", "limit_period": "month",
                                                                  "community_id": world["cb"]})
    client.post("/admin/shopitem/delete/", data={"csrf_token": csrf["csrf_token"], "id": items["theirs"]})
    with factory() as s:
        assert s.get(ShopItem, items["theirs"]).name == "外区挂面"
        assert s.get(ShopItem, items["mine"]).community_id == world["ca"]
        assert s.scalar(select(func.count()).select_from(ShopItem).where(ShopItem.name == "越界商品")) == 0


def test_edit_points_is_audited(login, world, factory):
    client = login("cityadm")
    url = f"/admin/tasktype/edit/?id={world['tt_micro_wish']}"
    response = client.post(url, data={**tokens(client, url), "name": "微心愿", "code": "micro_wish",
                                      "category": "micro_wish", "default_points": "25", "workflow_id": "micro_wish",
                                      "is_active": "y", "district_id": ""}, follow_redirects=True)
    assert response.status_code == 200
    with factory() as s:
        assert s.get(TaskType, world["tt_micro_wish"]).default_points == 25
        audit = s.scalar(select(AuditLog).where(AuditLog.table_name == "task_types", AuditLog.action == "update"))
        assert audit.before["default_points"] == 10 and audit.after["default_points"] == 25
        assert audit.actor_id == world["cityadm"]


def test_csrf_on_admin_forms(login, world, factory):
    client = login("cityadm")
    url = f"/admin/tasktype/edit/?id={world['tt_micro_wish']}"
    client.post(url, data={"name": "x", "default_points": "99"})
    client.post(url, data={"csrf_token": "forged", "name": "x", "default_points": "99"})
    with factory() as s:
        assert s.get(TaskType, world["tt_micro_wish"]).default_points == 10


def test_invalid_workflow_never_published(login, world, factory):
    client = login("dadm1")
    url = "/admin/workflows/edit/micro_wish"
    source = (ROOT / "workflows" / "micro_wish.yaml").read_text("utf-8").replace("to: claimed", "to: nowhere", 1)
    page = client.post(url, data={"csrf_token": token(client, url), "source": source, "do": "publish"})
    assert "不存在的状态“nowhere”" in page.get_data(as_text=True)
    live = client.post("/admin/workflows/validate", data={"csrf_token": token(client, url), "source": "id: [\n"}).json
    assert live["problems"] and live["problems"][0]["line"] >= 1
    with factory() as s:
        assert s.scalar(select(func.max(WorkflowVersion.version)).where(WorkflowVersion.workflow_id == "micro_wish")) == 1


def test_publish_dry_run_history_and_rollback(login, world, factory):
    client = login("dadm1")
    url = "/admin/workflows/edit/micro_wish"
    source = (ROOT / "workflows" / "micro_wish.yaml").read_text("utf-8").replace(
        "      photo: {type: image, title: 现场照片, required: false}",
        "      photo: {type: image, title: 现场照片, required: false}\n"
        "      helpers: {type: integer, title: 同行人数, min: 0, max: 10}")
    dry = client.post(url, data={"csrf_token": token(client, url), "source": source, "do": "dryrun"})
    assert "试运行 ✓ 通过" in dry.get_data(as_text=True)
    client.post(url, data={"csrf_token": token(client, url), "source": source, "do": "publish", "note": "加同行人数"})
    history = client.get("/admin/workflows/history/micro_wish").get_data(as_text=True)
    assert "v2" in history and "+      helpers" in history
    client.post("/admin/workflows/rollback/micro_wish/1", data={"csrf_token": token(client, url)})
    with factory() as s:
        versions = s.scalars(select(WorkflowVersion).where(WorkflowVersion.workflow_id == "micro_wish")
                             .order_by(WorkflowVersion.version)).all()
        assert [v.version for v in versions] == [1, 2, 3]
        assert versions[2].content_hash == versions[0].content_hash and versions[2].note == "回滚到 v1"
    assert login("cadm_a").post(url, data={"csrf_token": token(client, url), "source": source,
                                           "do": "publish"}).status_code == 403


def _xlsx(header, rows) -> bytes:
    book = Workbook()
    book.active.append(header)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_import_with_bad_rows_imports_nothing(login, world, factory):
    client = login("dadm1")
    good = ["zhang3", "张三", "13845800001", "市财政局", "财政局党支部", "旭日社区", "水电维修"]
    bad = _xlsx(imports.MEMBER_COLUMNS, [good,
                                         ["li si", "李四", "123", "", "不存在的支部", "站前社区", "飞行"],
                                         ["zhang3", "", "", "", "", "旭日社区", ""]])
    page = client.post("/admin/imports/", data={"csrf_token": token(client, "/admin/imports/"), "kind": "members",
                                                "file": (io.BytesIO(bad), "members.xlsx")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "没有导入任何数据" in page
    for text in ["只能用 3–32 位字母或数字", "手机号码格式不对", "找不到党组织", "不是您管辖范围内的社区", "不认识的技能“飞行”",
                 "用户名 zhang3 已存在", "请填写姓名"]:
        assert text in page, text
    with factory() as s:
        before = s.scalar(select(func.count()).select_from(Member))
    ok = client.post("/admin/imports/", data={"csrf_token": token(client, "/admin/imports/"), "kind": "members",
                                              "file": (io.BytesIO(_xlsx(imports.MEMBER_COLUMNS, [good])), "m.xlsx")},
                     content_type="multipart/form-data").get_data(as_text=True)
    assert "已导入 1 条" in ok
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Member)) == before + 1
    not_excel = client.post("/admin/imports/", data={"csrf_token": token(client, "/admin/imports/"),
                                                     "kind": "organisations",
                                                     "file": (io.BytesIO(b"not a workbook"), "o.xlsx")},
                            content_type="multipart/form-data").get_data(as_text=True)
    assert "请上传 Excel" in not_excel


def test_import_organisations(login, world, factory):
    client = login("cityadm")
    data = _xlsx(imports.ORG_COLUMNS, [["教育局党支部", "市教育局", "伊美区", "王老师", "13900000000", "旭日社区"]])
    page = client.post("/admin/imports/", data={"csrf_token": token(client, "/admin/imports/"), "kind": "organisations",
                                                "file": (io.BytesIO(data), "o.xlsx")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "已导入 1 条" in page
    with factory() as s:
        assert s.scalar(select(Organisation).where(Organisation.name == "教育局党支部")) is not None


def test_bulk_steps_go_through_the_engine_and_respect_scope(login, world, factory):
    mine, theirs = Walker(factory, world), Walker(factory, world)
    mine.start("res_a", "micro_wish", {"title": "本社区心愿"})
    theirs.start("res_b", "micro_wish", {"title": "外社区心愿"}, community="cb")
    client = login("cadm_a")
    page = client.post("/admin/demand/action/", data={
        **tokens(client, "/admin/demand/"), "action": "publish",
        "rowid": [mine.demand_id, theirs.demand_id]}, follow_redirects=True).get_data(as_text=True)
    assert "已完成 1 条" in page and "找不到" in page
    assert mine.state() == "open" and theirs.state() == "review"
    again = client.post("/admin/demand/action/", data={**tokens(client, "/admin/demand/"),
                                                       "action": "publish", "rowid": [mine.demand_id]},
                        follow_redirects=True).get_data(as_text=True)
    assert "不能审核发布" in again  # not a valid next step any more: refused by the engine


def test_dashboard_figures_and_stuck_list(login, world, factory):
    from datetime import timedelta

    from tests.world import NOW

    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "很久没人理的心愿"}, now=NOW - timedelta(days=30))
    with prefect_ui():  # a UI the admin's browser reaches
        page = login("dadm1").get("/admin/").get_data(as_text=True)
    assert "报到党员" in page and "很久没人理的心愿" in page and "demand:" in page
    assert "很久没人理的心愿" not in login("cadm_b").get("/admin/").get_data(as_text=True)



def test_the_dashboard_names_what_its_figures_cover_and_links_to_prefect_only_where_it_leads(login, world):
    """A community admin's figures are their community's, on a row that names it (the walk read
    伊美区 over one community's figures); a district admin's rows are districts. The Prefect UI's
    links are for city and district admins, and only where the UI answers: at the default
    loopback address, not for a browser elsewhere (a phone)."""
    community = login("cadm_a").get("/admin/").get_data(as_text=True)
    areas = re.search(r'<table[^>]*id="areas".*?</table>', community, re.S).group(0)
    assert "各社区" in community and "旭日社区" in areas and "伊美区" not in areas
    assert 'class="prefect-run' not in community and 'id="prefect-views"></p>' in community.replace("\n", "")
    district = login("dadm1")
    page = district.get("/admin/").get_data(as_text=True)
    assert "各区县" in page and "伊美区" in re.search(r'<table[^>]*id="areas".*?</table>', page, re.S).group(0)
    # the default UI (127.0.0.1:4200) answers only a browser on the server; this one is not
    assert 'class="prefect-runs"' not in page and 'class="prefect-run"' not in page
    with prefect_ui():
        assert 'class="prefect-runs"' in district.get("/admin/").get_data(as_text=True)
        assert 'class="prefect-run' not in login("cadm_a").get("/admin/").get_data(as_text=True)  # not an operator



def test_production_csrf_guards_both_kinds_of_admin_form(db_url, world, factory, tmp_path):
    """With CSRF fully on: model forms save with their own token, custom pages need theirs."""
    from admin.app import create_app
    from tests.admin.conftest import PASSWORD

    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "STORAGE_DIR": tmp_path})
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"username": "cityadm", "password": PASSWORD,
                                "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)})
    url = f"/admin/tasktype/edit/?id={world['tt_micro_wish']}"
    page = client.get(url).get_data(as_text=True)
    assert page.count('name="csrf_token"') == 1  # one token field, never two that shadow each other
    client.post(url, data={**tokens(client, url), "name": "微心愿", "code": "micro_wish", "category": "micro_wish",
                           "default_points": "30", "workflow_id": "micro_wish", "is_active": "y", "district_id": ""})
    with factory() as s:
        assert s.get(TaskType, world["tt_micro_wish"]).default_points == 30
    assert client.post("/admin/workflows/validate", data={"source": "id: x"}).status_code == 400
    app.extensions["yijia.engine"].dispose()


def test_confirm_attendance_of_many(login, world, factory):
    """The community confirms sign-in and sign-out for participants, as the paper sheet did."""
    from schemas.tables import Claim, Event, ServiceRecord
    from tests.world import NOW

    start = NOW  # begun and confirmed from the sheet (read after the event: not before its window opened)
    walk = Walker(factory, world).recruiting_activity("清雪", 5, start)
    walk.act("mem2", "sign_up")
    walk.act("cadm_a", "begin")
    with factory() as s:
        claims = s.scalars(select(Claim.id).where(Claim.demand_id == walk.demand_id, Claim.user_id.is_not(None))).all()
    client = login("cadm_a")
    page = client.post("/admin/claim/action/", data={**tokens(client, "/admin/claim/"), "action": "sign_in",
                                                      "rowid": claims}, follow_redirects=True).get_data(as_text=True)
    assert "已确认 2 人" in page
    other = login("cadm_b")
    assert "已确认 0 人" in other.post("/admin/claim/action/", data={
        **tokens(other, "/admin/claim/"), "action": "sign_out", "rowid": claims},
        follow_redirects=True).get_data(as_text=True)  # not their community: nothing confirmed
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(ServiceRecord).where(
            ServiceRecord.demand_id == walk.demand_id, ServiceRecord.signed_in_at.is_not(None))) == 2
        event = s.scalar(select(Event).where(Event.demand_id == walk.demand_id, Event.step == "sign_in"))
        assert event.actor_id == world["cadm_a"] and event.data["on_behalf_of"] in (world["mem1"], world["mem2"])


def test_reopen_releases_the_claim_for_someone_else(login, world, factory):
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "认领后没人来"})
    walk.act("cadm_a", "publish")
    walk.act("mem1", "claim")
    client = login("cadm_a")
    page = client.post("/admin/demand/action/", data={**tokens(client, "/admin/demand/"), "action": "reopen",
                                                       "rowid": [walk.demand_id]}, follow_redirects=True)
    assert "已完成 1 条" in page.get_data(as_text=True) and walk.state() == "open"
    assert walk.act("mem2", "claim").to_state == "claimed"


def test_the_consoles_reject_asks_for_the_reason_one_registration_at_a_time(login, world, factory):
    """退回 says why, to its applicant: the console hands one row to the page that asks for the
    reason (nothing is rejected without one), and refuses several at once."""
    with factory() as s:
        reg = s.scalar(select(MemberRegistration).where(MemberRegistration.member_id == world["mem_pending"]))
    client = login("cadm_a")
    csrf = tokens(client, "/admin/memberregistration/")
    one = client.post("/admin/memberregistration/action/", data={**csrf, "action": "reject", "rowid": [reg.id]})
    assert one.status_code == 302 and one.headers["Location"].endswith(f"/approvals/member/{reg.id}/reject")
    several = client.post("/admin/memberregistration/action/", data={**csrf, "action": "reject",
                                                                      "rowid": [reg.id, reg.id + 1000]},
                          follow_redirects=True).get_data(as_text=True)
    assert "退回需要写明原因：请一次选一条" in several
    client.post(f"/approvals/member/{reg.id}/reject", data={"reason": "请到居住地社区报到"})
    with factory() as s:
        assert s.get(MemberRegistration, reg.id).status.value == "rejected"


def test_placing_a_member_in_an_organisation_on_the_console_settles_their_request(login, world, factory):
    """人才资源库 sets a member's organisation directly: an event, the member told, and a request
    waiting for that organisation settled (it no longer waits for a decision made); a request
    for another organisation stays."""
    from flows.people import joining
    from flows.people.actors import load_actor
    from schemas.tables import Event, Notification

    with factory() as s:
        joining.ask(s, load_actor(s, world["mem2"]), world["org2"])
        joining.ask(s, load_actor(s, world["mem1"]), world["org2"])
    client = login("cityadm")

    def place(member: str, org: int | None) -> None:
        url = f"/admin/member/edit/?id={world[member]}"
        client.post(url, data={**tokens(client, url), "work_unit": "财政局", "org_id": str(org or ""),
                               "availability": "", "skills": [], "bio": ""})

    community = login("cadm_a")  # a community's admin keeps skills and availability, not who belongs where
    url = f"/admin/member/edit/?id={world['mem2']}"
    refused = community.post(url, data={**tokens(community, url), "work_unit": "财政局", "org_id": "",
                                        "availability": "", "skills": [], "bio": ""}).get_data(as_text=True)
    assert "只有区县或市级管理员可以改党员所属的党组织" in refused
    with factory() as s:
        assert s.get_one(Member, world["mem2"]).org_id == world["org1"]
    place("mem2", world["org2"])  # what mem2 asked for
    place("mem1", None)  # mem1 leaves org1 on the console; their request for org2 still waits
    with factory() as s:
        mem2, mem1 = s.get_one(Member, world["mem2"]), s.get_one(Member, world["mem1"])
        assert (mem2.org_id, mem2.org_requested_id, mem2.org_requested_at) == (world["org2"], None, None)
        assert (mem1.org_id, mem1.org_requested_id) == (None, world["org2"])
        assert [r.member_id for r in joining.pending(s, load_actor(s, world["orgadm2"]))] == [world["mem1"]]
        placed = s.scalar(select(Event).where(Event.subject == "members", Event.subject_id == world["mem2"],
                                              Event.step == "place_org"))
        assert placed is not None and placed.actor_id == world["cityadm"]
        assert s.scalar(select(Event.step).where(Event.subject == "members", Event.subject_id == world["mem1"])
                        .order_by(Event.id.desc()).limit(1)) == "leave_org"
        assert list(s.scalars(select(Notification.title).where(Notification.user_id == world["mem2"],
                                                               Notification.kind == "org_placed"))) \
            == ["已加入税务局党支部"]


def test_the_talent_pool_finds_a_member_by_name(login, world):
    client = login("cityadm")
    found = client.get("/admin/member/?search=mem3").get_data(as_text=True)
    assert "mem3" in found and "mem_pending" not in found
    scoped = login("cadm_a").get("/admin/member/?search=mem3").get_data(as_text=True)  # community B's: not theirs
    assert ">mem3<" not in scoped


def _form(client, url: str) -> dict[str, str]:
    """Every field an edit page posts back as it was shown (inputs and chosen options)."""
    page = client.get(url).get_data(as_text=True)
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"|<option[^>]*value="([^"]*)"[^>]*selected', body)
        fields[name] = next(v for v in chosen.groups() if v is not None) if chosen else ""
    return fields


def test_an_edit_opened_before_someone_elses_save_is_refused_not_written_over_it(login, world, factory, items):
    """Two admins (or two tabs) open the same row; the first saves. The second's save would
    silently undo the first's change: it is refused, and nothing of it is written."""
    url = f"/admin/shopitem/edit/?id={items['mine']}"
    first, second = login("cadm_a"), login("dadm1")
    first_form, second_form = _form(first, url), _form(second, url)
    assert first_form.get("yijia_read_as") and first_form["yijia_read_as"] == second_form["yijia_read_as"]
    first.post(url, data={**first_form, "price": "12"}, follow_redirects=True)
    late = second.post(url, data={**second_form, "name": "本区香米"}, follow_redirects=True).get_data(as_text=True)
    assert "这条记录在您打开后已被修改" in late
    with factory() as s:
        item = s.get_one(ShopItem, items["mine"])
        assert (item.name, item.price) == ("本区大米", 12)
        assert s.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.table_name == "shop_items", AuditLog.action == "update")) == 1
    # opened again, it shows the new price and saves
    again = _form(second, url)
    second.post(url, data={**again, "name": "本区香米"}, follow_redirects=True)
    with factory() as s:
        assert (s.get_one(ShopItem, items["mine"]).name, s.get_one(ShopItem, items["mine"]).price) == ("本区香米", 12)


def test_a_change_the_form_does_not_show_does_not_refuse_the_edit(login, world, factory, items):
    """Stock sold meanwhile is not on the item's form: the admin's edit of its name still saves."""
    url = f"/admin/shopitem/edit/?id={items['mine']}"
    admin = login("cadm_a")
    form = _form(admin, url)
    with factory() as s:
        s.get_one(ShopItem, items["mine"]).stock = 4
        s.commit()
    if "stock" in form:  # the form shows stock: then this is a change it shows, refused as above
        pytest.skip("the item form shows stock")
    admin.post(url, data={**form, "name": "本区新米"}, follow_redirects=True)
    with factory() as s:
        assert s.get_one(ShopItem, items["mine"]).name == "本区新米"


def test_a_new_shop_item_leads_to_its_restock_form(login, world, factory):
    """Stock comes only by an audited restock, so a new item has none: saving it opens its page
    with the restock form and says so (it went on sale showing 库存 0, the walk)."""
    admin = login("cadm_a")
    created = admin.post("/admin/shopitem/new/", data={**tokens(admin, "/admin/shopitem/new/"), "name": "新毛巾",
                                                       "community_id": str(world["ca"]), "price": "6",
                                                       "limit_period": "month", "on_sale": "y"})
    with factory() as s:
        item = s.scalar(select(ShopItem).where(ShopItem.name == "新毛巾"))
    assert item is not None and item.stock == 0
    assert created.status_code == 302 and f"/admin/shopitem/details/?id={item.id}" in created.headers["Location"]
    page = admin.get(created.headers["Location"]).get_data(as_text=True)
    assert 'id="restock"' in page and "“补货 / 出库”填写首批数量" in page
    # 保存并继续编辑 opens the edit form, which has no stock field: it is said there too
    kept = admin.post("/admin/shopitem/new/", data={**tokens(admin, "/admin/shopitem/new/"), "name": "新肥皂",
                                                    "community_id": str(world["ca"]), "price": "3",
                                                    "limit_period": "month", "on_sale": "y", "_continue_editing": "1"})
    assert "/admin/shopitem/edit/" in kept.headers["Location"]
    assert "库存为 0" in admin.get(kept.headers["Location"]).get_data(as_text=True)


def test_every_details_page_shows_readable_values_not_object_reprs(app, login, world, factory):
    """详情 of 人才资源库 showed `<schemas.tables.people.User object at 0x…>` and untranslated
    bookkeeping columns (the walk found it): every model view's details page, for its first row,
    shows what its list and form show, each readable."""
    Walker(factory, world).start("res_a", "micro_wish", {"title": "修门锁"})  # a row for the demand views
    admin = login("cityadm")
    seen = []
    for view in app.extensions["admin"][0]._views:
        if not getattr(view, "can_view_details", False) or not hasattr(view, "column_list"):
            continue
        listing = admin.get(view.url + "/")
        if listing.status_code != 200:
            continue
        found = re.search(r'href="([^"]*/details/\?id=[^"&]+)', listing.get_data(as_text=True))
        if found is None:
            continue
        page = admin.get(found.group(1).replace("&amp;", "&"))
        assert page.status_code == 200, view.url
        text = page.get_data(as_text=True)
        assert " object at 0x" not in text, view.url
        seen.append(view.endpoint)
    assert "member" in seen and len(seen) >= 8, seen
    # a read-only view has no form to add: the demand's says what the portal's page says (the review)
    demand = admin.get(re.search(r'href="([^"]*demand/details/\?id=[^"&]+)', admin.get("/admin/demand/").get_data(
        as_text=True)).group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "发起人" in demand and "res_a" in demand and "地点" in demand and "开始时间" in demand


def test_news_lists_drafts_then_by_publish_time(factory, login, world):
    """The order readers see, not the order posts were typed in (ids run the other way here)."""
    from datetime import timedelta

    from schemas.tables import NewsPost
    from tests.world import NOW

    with factory() as s, s.begin():
        for title, days in [("旧闻", -9), ("草稿", None), ("新闻", -1), ("中间", -5)]:
            s.add(NewsPost(title=title, region_id=world["ca"], body="正文",
                           published_at=None if days is None else NOW + timedelta(days=days)))
    page = login("cadm_a").get("/admin/newspost/").get_data(as_text=True)
    assert sorted(["草稿", "新闻", "中间", "旧闻"], key=page.index) == ["草稿", "新闻", "中间", "旧闻"]


def test_every_console_text_field_keeps_only_what_can_be_seen(factory, login, world):
    """A name of zero-width spaces is as empty as an empty one: refused as required, in every
    model form (the form base, admin/console/forms.py), and stray marks around a name go."""
    admin = login("cadm_a")
    blank = admin.post("/admin/shopitem/new/", data={**tokens(admin, "/admin/shopitem/new/"), "name": "\u200b\u2060",
                                                     "community_id": str(world["ca"]), "price": "6",
                                                     "limit_period": "month", "on_sale": "y"})
    assert blank.status_code == 200 and "缺少必填项" in blank.get_data(as_text=True)
    admin.post("/admin/shopitem/new/", data={**tokens(admin, "/admin/shopitem/new/"), "name": "\u200b毛巾\u202e ",
                                             "community_id": str(world["ca"]), "price": "6",
                                             "limit_period": "month", "on_sale": "y"})
    with factory() as s:
        assert s.scalars(select(ShopItem.name).where(ShopItem.community_id == world["ca"])).all() == ["毛巾"]


def test_a_news_post_set_for_2099_is_a_slip_of_the_year(factory, login, world):
    """Scheduled for 2099 (meant: 2026), a post would wait unseen for good: refused beside the
    field, in the console as over the API (flows.catalogue.news.check_publish_time)."""
    from schemas.tables import NewsPost

    admin = login("dadm1")
    form = {"title": "冬季供暖通知", "region_id": str(world["d1"]), "body": "正文"}
    far = admin.post("/admin/newspost/new/", data={**tokens(admin, "/admin/newspost/new/"), **form,
                                                   "published_at": "2099-01-01T09:00"})
    assert far.status_code == 200 and "一年以内" in far.get_data(as_text=True)
    near = admin.post("/admin/newspost/new/", data={**tokens(admin, "/admin/newspost/new/"), **form,
                                                    "published_at": "2026-12-01T09:00"})
    assert near.status_code == 302
    with factory() as s:
        assert s.scalars(select(NewsPost.title)).all() == ["冬季供暖通知"]


def test_the_talent_pool_is_the_approved_members_found_by_skill_and_says_whose_record(login, world):
    """人才资源库 listed a member still waiting for 报到审核 beside the approved ones, found no one
    by a skill typed in the search box, and its edit page never named whose record it was (the walk)."""
    import re

    admin = login("cadm_a")
    listing = admin.get("/admin/member/").get_data(as_text=True)
    assert "mem1" in listing and "mem2" in listing and "mem_pending" not in listing
    found = admin.get("/admin/member/?search=水电").get_data(as_text=True)
    assert "mem1" in found and "mem2" not in found
    assert "列表 (1)" in found  # one row per member, not one per skill
    both = admin.get("/admin/member/?search=mem").get_data(as_text=True)
    assert "mem1" in both and "mem2" in both
    row = re.search(r"/admin/member/edit/\?id=(\d+)", found)
    assert row is not None
    edit = admin.get(f"/admin/member/edit/?id={row.group(1)}").get_data(as_text=True)
    assert re.findall(r'id="whose">([^<]*)', edit) == ["编辑人才档案：mem1"]


def test_a_demand_in_the_console_opens_its_page_in_the_portal(login, world, factory):
    """A booking the 待办 does not list (assigned: nothing waits for the admin) is called off from
    its own page: the console's 需求 list links each title there, and its export keeps the text."""
    from tests.flows.walker import Walker

    walk = Walker(factory, world)
    walk.start("res_a", "appointment", {"title": "义务理发预约"}, slot=world["slot"])
    walk.act("cadm_a", "assign", {"assignee": world["mem1"]})
    admin = login("cadm_a")
    listing = admin.get("/admin/demand/?search=义务理发").get_data(as_text=True)
    assert f'<a href="/d/{walk.demand_id}">义务理发预约</a>' in listing
    page = admin.get(f"/d/{walk.demand_id}").get_data(as_text=True)
    assert "社区取消" in page


def test_a_create_form_sent_twice_makes_one_row_and_says_so(login, world, factory, db_url):
    """保存 tapped twice: one row. The second request is told the form was sent already, also
    when both taps find the form's key unspent and the second loses at the insert (the other
    tap's transaction commits between its check and its write, made here with a second
    connection at the flush)."""
    from sqlalchemy import create_engine, event, insert
    from sqlalchemy.orm import Session

    from schemas.tables import ApiReplay

    admin = login("cadm_a")
    page = admin.get("/admin/shopitem/new/").get_data(as_text=True)
    once = re.search(r'name="yijia_once"[^>]*value="([^"]+)"', page).group(1)
    form = {**tokens(admin, "/admin/shopitem/new/"), "name": "双击毛巾", "community_id": str(world["ca"]),
            "price": "6", "limit_period": "month", "on_sale": "y", "yijia_once": once}
    assert admin.post("/admin/shopitem/new/", data=form).status_code == 302
    again = admin.post("/admin/shopitem/new/", data=form).get_data(as_text=True)
    assert "这张表单已经提交过了" in again
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(ShopItem).where(ShopItem.name == "双击毛巾")) == 1
        me = world["cadm_a"]

    page = admin.get("/admin/shopitem/new/").get_data(as_text=True)
    racing = {**form, "name": "并发毛巾", "yijia_once": re.search(r'name="yijia_once"[^>]*value="([^"]+)"', page).group(1)}
    other = create_engine(db_url)

    def other_tap_commits(session, _context, _instances):
        if any(isinstance(row, ApiReplay) for row in session.new):
            with other.begin() as conn:
                conn.execute(insert(ApiReplay).values(key=f"console:{me}:{racing['yijia_once']}", fingerprint="shop_items",
                                                      status=201, body=""))

    event.listen(Session, "before_flush", other_tap_commits)
    try:
        lost = admin.post("/admin/shopitem/new/", data=racing).get_data(as_text=True)
    finally:
        event.remove(Session, "before_flush", other_tap_commits)
        other.dispose()
    assert "这张表单已经提交过了" in lost and "已有同样的记录" not in lost
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(ShopItem).where(ShopItem.name == "并发毛巾")) == 0
