"""Console upkeep without a browser: forms keep what they show, refusals read plainly beside
their field, one audit row per change, readable lists and safe exports, restock and
adjustments, imports kept inside the importer's region and bounded, large ones as jobs."""
from __future__ import annotations

import io
import re
import time
from datetime import datetime, timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from flows.people import import_jobs, imports
from schemas.clock import LOCAL_TZ
from schemas.tables import (
    AuditLog,
    ImportJob,
    JobStatus,
    LimitPeriod,
    Member,
    Organisation,
    PointAdjustment,
    ShopItem,
    TaskCategory,
    TaskType,
    User,
)
from tests.admin.test_console import _xlsx, token, tokens


def _form(client, url: str) -> dict[str, str]:
    """The edit form's fields as the page shows them (text inputs, selected options, checkboxes)."""
    page = client.get(url).get_data(as_text=True)
    data = dict(re.findall(r'<input[^>]*?id="(\w+)"[^>]*?name="\1"[^>]*?type="text"[^>]*?value="([^"]*)"', page))
    data.update(re.findall(r'<input[^>]*?id="(\w+)"[^>]*?name="\1"[^>]*?type="number"[^>]*?value="([^"]*)"', page))
    for name, body in re.findall(r'<select[^>]*name="(\w+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', body)
        data[name] = next(g for g in chosen.groups() if g is not None) if chosen else ""
    for name in re.findall(r'<input[^>]*?checked[^>]*?name="(\w+)"[^>]*?type="checkbox"', page):
        data[name] = "y"
    data["csrf_token"] = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    return data


def test_enum_selects_show_the_stored_value(login, world, factory):
    with factory() as s:
        item = ShopItem(community_id=world["ca"], name="米", price=5, stock=1, limit_period=LimitPeriod.WEEK)
        s.add(item)
        s.get(TaskType, world["tt_micro_wish"]).category = TaskCategory.URGENT
        s.commit()
    city = login("cityadm")
    shown = city.get(f"/admin/shopitem/edit/?id={item.id}").get_data(as_text=True)
    assert re.search(r'<option selected value="week">每周</option>', shown)
    shown = city.get(f"/admin/tasktype/edit/?id={world['tt_micro_wish']}").get_data(as_text=True)
    assert re.search(r'<option selected value="urgent">急难愁盼</option>', shown)
    assert 'name="stock"' not in city.get(f"/admin/shopitem/edit/?id={item.id}").get_data(as_text=True)


def test_constraint_refusals_read_plainly_beside_their_field(login, world, factory):
    client = login("dadm1")
    new = "/admin/tasktype/new/"
    base = {"name": "本区心愿", "code": "wish", "category": "micro_wish", "district_id": world["d1"],
            "workflow_id": "micro_wish", "default_points": "10"}
    client.post(new, data={**tokens(client, new), **base})
    again = client.post(new, data={**tokens(client, new), **base}).get_data(as_text=True)
    assert "本区县已有这个代码" in again and "IntegrityError" not in again and "UNIQUE" not in again
    assert "没有保存" in again and "Failed to" not in again
    wrong = client.post(new, data={**tokens(client, new), **base, "code": "wish2", "default_points": "500000",
                                   "workflow_id": "no_such_flow"}).get_data(as_text=True)
    assert "请从您管辖范围内的选项中选择" in wrong and "CHECK" not in wrong
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(TaskType).where(TaskType.code.like("wish%"))) == 1
        created = s.scalars(select(AuditLog).where(AuditLog.table_name == "task_types")).all()
        assert [(a.action, a.actor_id, a.before, a.after["code"]) for a in created] == [
            ("create", world["dadm1"], None, "wish")]  # one row per change, with who and what


def test_every_role_records_before_and_after(login, world, factory):
    with factory() as s:
        item = ShopItem(community_id=world["ca"], name="米", price=5, stock=1)
        s.add(item)
        s.commit()
    for user, price in [("cadm_a", "6"), ("dadm1", "7"), ("cityadm", "8")]:
        client = login(user)
        url = f"/admin/shopitem/edit/?id={item.id}"
        form = _form(client, url)
        client.post(url, data={**form, "price": price})
    with factory() as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.table_name == "shop_items").order_by(AuditLog.id)).all()
        assert [(r.actor_id, r.before, r.after) for r in rows] == [
            (world["cadm_a"], {"price": 5}, {"price": 6}), (world["dadm1"], {"price": 6}, {"price": 7}),
            (world["cityadm"], {"price": 7}, {"price": 8})]


def test_lists_and_exports_are_readable_and_safe(login, world, factory):
    with factory() as s:
        s.add(ShopItem(community_id=world["ca"], name="=HYPERLINK(\"http://x\")", price=5, stock=1))
        s.add(ShopItem(community_id=world["ca"], name="@SUM(A1)", price=5, stock=1, limit_period=LimitPeriod.DAY))
        s.commit()
    client = login("cadm_a")
    listing = client.get("/admin/shopitem/").get_data(as_text=True)
    assert "旭日社区" in listing and "每天" in listing and "day" not in re.sub(r"<[^>]+>", "", listing).split()
    book = load_workbook(io.BytesIO(client.get("/admin/shopitem/export.xlsx").data))
    cells = {c.value: c for row in book.active.iter_rows() for c in row}
    assert cells['=HYPERLINK("http://x")'].data_type == "s" and cells["@SUM(A1)"].data_type == "s"
    assert "旭日社区" in cells and "每天" in cells and "社区" in cells  # names, labels and headers, not ids
    pool = load_workbook(io.BytesIO(client.get("/admin/member/export.xlsx").data)).active
    rows = list(pool.iter_rows(values_only=True))
    # below the district, names leave the console masked (#16: personal data in exports)
    assert rows[0][0] == "姓名" and {r[0] for r in rows[1:]} >= {"m***"} and "mem1" not in {r[0] for r in rows}
    assert any(r[-1] and "水电维修" in r[-1] for r in rows[1:])  # skills by name
    district = load_workbook(io.BytesIO(login("dadm1").get("/admin/member/export.xlsx").data)).active
    assert {r[0] for r in district.iter_rows(values_only=True)} >= {"mem1", "mem2"}


def test_talent_pool_shows_and_filters_skills_by_name(login, world):
    client = login("cadm_a")
    listing = client.get("/admin/member/").get_data(as_text=True)
    assert "水电维修" in listing and "Skill object" not in listing
    filtered = client.get("/admin/member/?flt0_0=水电维修").get_data(as_text=True)  # filter 0: 技能 有
    assert "mem1" in filtered and "mem2" not in filtered


def test_restock_from_the_console_is_once_per_form(login, world, factory):
    with factory() as s:
        item = ShopItem(community_id=world["ca"], name="米", price=5, stock=3)
        s.add(item)
        s.commit()
    client = login("cadm_a")
    details = client.get(f"/admin/shopitem/details/?id={item.id}").get_data(as_text=True)
    key = re.search(r'name="request_key"[^>]*value="([^"]+)"', details).group(1)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', details).group(1)
    for _ in range(2):
        client.post(f"/admin/shopitem/restock/?id={item.id}",
                    data={"csrf_token": csrf, "delta": "10", "reason": "新到货", "request_key": key})
    client.post(f"/admin/shopitem/restock/?id={item.id}", data={"delta": "10", "reason": "没有令牌", "request_key": "x"})
    with factory() as s:
        assert s.get(ShopItem, item.id).stock == 13


def test_a_large_adjustment_is_approved_by_a_second_admin_in_the_console(login, world, factory):
    from flows.points import ledger, shop

    with factory() as s:
        asked = shop.adjust(s, world["cadm_a"], world["mem1"], 800, "抗洪抢险表彰", request_key="x").request
    same = login("cadm_a")
    page = same.post("/admin/pointadjustment/action/", data={**tokens(same, "/admin/pointadjustment/"),
                                                             "action": "approve", "rowid": [asked.id]},
                     follow_redirects=True).get_data(as_text=True)
    assert "另一位管理员" in page
    other = login("dadm1")
    other.post("/admin/pointadjustment/action/", data={**tokens(other, "/admin/pointadjustment/"),
                                                       "action": "approve", "rowid": [asked.id]})
    with factory() as s:
        assert ledger.balance(s, world["mem1"]) == 800 and s.get(PointAdjustment, asked.id).decided_by == world["dadm1"]


def test_bulk_steps_are_read_from_the_workflows(login, world):
    page = login("cadm_a").get("/admin/demand/").get_data(as_text=True)
    # the actions menu (admin/templates/admin/actions.html: data attributes, no inline script under the CSP)
    offered = set(re.findall(r'data-model-action="(\w+)"', page))
    assert {"publish", "begin", "finish", "settle", "reopen", "cancel"} <= offered
    assert "reject" not in offered and "claim" not in offered  # a form to fill / not an admin's step
    participants = login("cadm_a").get("/admin/claim/").get_data(as_text=True)
    assert "sign_in" in participants and "sign_out" in participants


# ---- imports ------------------------------------------------------------------------------

def _post_import(client, kind: str, data: bytes):
    return client.post("/admin/imports/", data={"csrf_token": token(client, "/admin/imports/"), "kind": kind,
                                                "file": (io.BytesIO(data), "x.xlsx")},
                       content_type="multipart/form-data", follow_redirects=True)


def test_a_district_admins_import_never_touches_another_district(login, world, factory):
    member = ["li4", "李四", "", "税务局", "税务局党支部", "旭日社区", ""]  # 税务局党支部 is 铁力市's
    page = _post_import(login("dadm1"), "members", _xlsx(imports.MEMBER_COLUMNS, [member])).get_data(as_text=True)
    assert "没有导入任何数据" in page and "找不到党组织“税务局党支部”" in page
    org = ["新党支部", "新单位", "铁力市", "", "", "站前社区"]
    page = _post_import(login("cadm_a"), "organisations", _xlsx(imports.ORG_COLUMNS, [org])).get_data(as_text=True)
    assert "“铁力市”不是您管辖范围内的区县" in page and "“站前社区”不是您管辖范围内的社区" in page
    mixed = ["新党支部", "新单位", "伊美区", "", "", "站前社区"]
    page = _post_import(login("cityadm"), "organisations", _xlsx(imports.ORG_COLUMNS, [mixed])).get_data(as_text=True)
    assert "“站前社区”不在伊美区" in page
    with factory() as s:
        assert s.scalar(select(User).where(User.username == "li4")) is None
        assert s.scalar(select(Organisation).where(Organisation.name == "新党支部")) is None


def test_wide_workbooks_are_refused_before_they_are_parsed(login):
    book = Workbook()
    for _ in range(30):
        book.active.append(["x"] * 8000)  # 240,000 cells in a file of a few dozen KB
    out = io.BytesIO()
    book.save(out)
    page = _post_import(login("cityadm"), "members", out.getvalue()).get_data(as_text=True)
    # The cell count names the refusal: it is read from the sheet's XML before openpyxl parses
    # a row (how long that takes is measured by `make bench`, not asserted here).
    assert "单元格太多" in page


def test_a_large_import_runs_as_a_job_with_progress(login, world, factory):
    rows = [[f"user{i:04d}", f"党员{i}", "", "财政局", "财政局党支部", "旭日社区", "水电维修"]
            for i in range(import_jobs.BACKGROUND_ROWS + 20)]
    client = login("dadm1")
    response = client.post("/admin/imports/", data={"csrf_token": token(client, "/admin/imports/"), "kind": "members",
                                                    "file": (io.BytesIO(_xlsx(imports.MEMBER_COLUMNS, rows)), "m.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 302 and "/admin/imports/job/" in response.headers["Location"]
    job_url = response.headers["Location"]
    assert "job-bar" in client.get(job_url).get_data(as_text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = client.get(job_url.replace(job_url.rstrip("/").rsplit("/", 1)[1],
                                            job_url.rstrip("/").rsplit("/", 1)[1] + ".json")).json
        if status["status"] in ("done", "failed"):
            break
        time.sleep(0.3)
    assert status["status"] == "done" and status["percent"] == 100
    page = client.get(job_url).get_data(as_text=True)
    assert f"已导入 {len(rows)} 条" in page and "user0000" in page  # first passwords, this once
    assert "user0000" not in client.get(job_url).get_data(as_text=True)
    assert login("cadm_a").get(job_url).status_code == 404  # someone else's job
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Member)) >= len(rows)
        job = s.scalar(select(ImportJob))
        assert job.status is JobStatus.DONE and job.data is None


@pytest.mark.parametrize("user", ["cityadm"])
def test_import_job_refused_rows_import_nothing(login, world, factory, user):
    rows = [[f"u{i:04d}", f"党员{i}", "", "", "", "旭日社区" if i else "不存在社区", ""]
            for i in range(import_jobs.BACKGROUND_ROWS + 5)]
    with factory() as s:
        job_id = import_jobs.enqueue(s, "members", _xlsx(imports.MEMBER_COLUMNS, rows), world[user], ["/1/"],
                                     len(rows))
    import_jobs.run(factory, job_id)
    with factory() as s:
        job = s.get(ImportJob, job_id)
        assert job.status is JobStatus.FAILED
        assert [e["row"] for e in import_jobs.errors(job, "zh")] == [2]
        assert s.scalar(select(func.count()).select_from(User).where(User.username.like("u0%"))) == 0


def test_a_task_type_code_must_make_a_link(login, world):
    client = login("dadm1")
    new = "/admin/tasktype/new/"
    page = client.post(new, data={**tokens(client, new), "name": "x", "code": "Bad Code/1", "category": "micro_wish",
                                  "district_id": world["d1"], "workflow_id": "micro_wish",
                                  "default_points": "5"}).get_data(as_text=True)
    assert "代码用小写字母开头" in page  # a validator's (lazy) message shows beside its field


def test_a_job_whose_runner_died_is_failed_not_waited_for(world, factory):
    from datetime import timedelta

    from schemas.clock import utcnow

    with factory() as s:
        job_id = import_jobs.enqueue(s, "members", b"x", world["dadm1"], ["/1/2/"], 300)
    with factory() as s:
        assert import_jobs.mine(s, job_id, world["dadm1"]).status is JobStatus.QUEUED
        job = import_jobs.mine(s, job_id, world["dadm1"], now=utcnow() + timedelta(minutes=11))
        assert job.status is JobStatus.FAILED and import_jobs.errors(job, "zh")[0]["message"].startswith("导入中断")
    import_jobs.run(factory, job_id)  # a runner arriving late finds nothing to do
    with factory() as s:
        assert s.get(ImportJob, job_id).status is JobStatus.FAILED


def test_a_service_or_resource_in_use_keeps_its_community_and_owner(login, world, factory):
    """Moving a service to another community, or a resource to another owner, under live
    bookings left the bookings behind and nobody was told (the walk). Refused beside the field
    while any is live; 停用 is allowed and says what becomes of the bookings made."""
    from schemas.tables import AppointmentService, Resource
    from tests.flows.sharing.shared import add_sharing
    from tests.flows.walker import Walker

    Walker(factory, world).start("res_a", "appointment", {"title": "义务理发预约"}, slot=world["slot"])
    admin = login("cityadm")
    url = f"/admin/appointmentservice/edit/?id={world['service']}"
    moved = admin.post(url, data={**_form(admin, url), "community_id": str(world["cb"])}).get_data(as_text=True)
    assert "这项服务还有 1 个未到期的预约，不能改社区" in moved
    renamed = admin.post(url, data={**_form(admin, url), "name": "义务理发（周末）"})
    assert renamed.status_code == 302  # what the bookings do not depend on may change
    form = _form(admin, url)
    form.pop("is_active", None)  # 停用: the box unticked
    stopped = admin.post(url, data=form, follow_redirects=True).get_data(as_text=True)
    assert "已停用：不再接受新的预约。已有的 1 个预约照常有效" in stopped
    with factory() as s:
        service = s.get_one(AppointmentService, world["service"])
        assert (service.community_id, service.name, service.is_active) == (world["ca"], "义务理发（周末）", False)

    shared = add_sharing(factory, world)
    requester = login("cadm_a")
    day = (datetime.now(LOCAL_TZ) + timedelta(days=21)).date()
    monday = (day - timedelta(days=day.weekday())).isoformat()
    sent = requester.post(f"/resources/{shared['room']}/request", data={
        "title": "党课", "starts_at": f"{monday}T10:00", "ends_at": f"{monday}T11:00", "request_key": "k1"})
    assert sent.status_code == 302
    url = f"/admin/resource/edit/?id={shared['room']}"
    handed = admin.post(url, data={**_form(admin, url), "org_id": str(world["org2"])}).get_data(as_text=True)
    assert "这项资源还有 1 个未结束的申请或预约，不能改社区或所属党组织" in handed
    with factory() as s:
        assert s.get_one(Resource, shared["room"]).org_id == world["org1"]


def test_a_service_takes_only_a_booking_task_type(login, world, factory):
    """A service given a wish's task type took every booking as a wish, each refused (不认识的字段
    “note”, the walk): a task type whose workflow does not start from a slot is refused beside
    the field when chosen; what a service already has is shown as chosen and kept by other edits."""
    from schemas.tables import AppointmentService

    admin = login("cityadm")
    url = f"/admin/appointmentservice/edit/?id={world['service']}"
    refused = admin.post(url, data={**_form(admin, url), "task_type_id": str(world["tt_micro_wish"])})
    assert "这个任务类型的流程不是从预约时段开始的，不能用于预约服务" in refused.get_data(as_text=True)
    with factory() as s:
        assert s.get_one(AppointmentService, world["service"]).task_type_id == world["tt_appointment"]
        s.get_one(AppointmentService, world["service"]).task_type_id = world["tt_micro_wish"]  # as before the check
        s.commit()
    assert _form(admin, url)["task_type_id"] == str(world["tt_micro_wish"])  # shown as it is, not another
    renamed = admin.post(url, data={**_form(admin, url), "name": "义务理发（旧）"})
    assert renamed.status_code == 302  # an edit that leaves the type alone is not refused for it
    with factory() as s:
        kept = s.get_one(AppointmentService, world["service"])
        assert (kept.name, kept.task_type_id) == ("义务理发（旧）", world["tt_micro_wish"])
