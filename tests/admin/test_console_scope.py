"""The scoping matrix: every model view × an admin of another region × that region's row — not
in the list, the details, the edit form, the history, the export; not changed by an edit, a
delete or a bulk action posted by hand. A positive control sees it, so the test can fail."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from flows.core import audit
from flows.points import ledger, shop
from schemas.tables import (
    AppointmentService,
    AppointmentSlot,
    AuditLog,
    Claim,
    DirectoryEntry,
    DirectoryKind,
    DirectoryService,
    MemberRegistration,
    NewsPost,
    OrgRegistration,
    PostingKind,
    Resource,
    ResourceKind,
    ShopItem,
    TaskCategory,
    TaskType,
)
from tests.admin.test_console import tokens
from tests.flows.walker import Walker
from tests.world import NOW


@dataclass
class Row:
    endpoint: str
    row_id: int
    text: str  # shows in the list, the details and the export of whoever may see the row
    actions: tuple[str, ...] = ()


@pytest.fixture
def theirs(factory, world) -> dict[str, Row]:
    """One row of 铁力市 (district d2, community cb) in every view."""
    wish = Walker(factory, world)
    wish.start("res_b", "micro_wish", {"title": "外区的心愿"}, community="cb")
    wish.act("cadm_b", "publish")
    wish.act("mem3", "claim")
    with factory() as s:
        task_type = TaskType(code="local", name="外区任务类型", category=TaskCategory.ACTIVITY, workflow_id="joint_activity",
                             district_id=world["d2"])
        item = ShopItem(community_id=world["cb"], name="外区挂面", price=10, stock=5)
        news = NewsPost(region_id=world["cb"], title="外区新闻", body="正文", published_at=NOW)
        entry = DirectoryEntry(community_id=world["cb"], kind=DirectoryKind.MERCHANT, name="外区理发店")
        service = AppointmentService(community_id=world["cb"], task_type_id=world["tt_appointment"], name="外区理发")
        room = Resource(community_id=world["cb"], org_id=world["org2"], kind=ResourceKind.ROOM, name="外区会议室")
        s.add_all([task_type, item, news, entry, service, room])
        s.flush()
        item_service = DirectoryService(entry_id=entry.id, name="外区剪发")
        slot = AppointmentSlot(service_id=service.id, starts_at=NOW + timedelta(days=3),
                               ends_at=NOW + timedelta(days=3, hours=1), capacity=7)
        s.add_all([item_service, slot])
        audit.record(s, world["cadm_b"], "update", "shop_items", str(item.id), {"price": 9}, {"price": 10}, "外区调价")
        s.commit()
        ledger.post(s, "gift", PostingKind.AWARD, "奖励", [ledger.Move(ledger.issuance_account(s), -100),
                                                          ledger.Move(ledger.user_account(s, world["mem3"]), 100)])
        s.commit()
        order = shop.redeem(s, world["mem3"], item.id, now=NOW)
        request = shop.adjust(s, world["cadm_b"], world["res_b"], 5000, "外区大额调整", request_key="k").request
        member_reg = s.scalar(select(MemberRegistration.id).where(MemberRegistration.member_id == world["mem3"]))
        org_reg = s.scalar(select(OrgRegistration.id).where(OrgRegistration.org_id == world["org2"]))
        claim = s.scalar(select(Claim.id).where(Claim.demand_id == wish.demand_id))
        audit_id = s.scalar(select(AuditLog.id).where(AuditLog.reason == "外区调价"))
        return {
            "tasktype": Row("tasktype", task_type.id, "外区任务类型"),
            "shopitem": Row("shopitem", item.id, "外区挂面"),
            "newspost": Row("newspost", news.id, "外区新闻"),
            "directoryentry": Row("directoryentry", entry.id, "外区理发店"),
            "directoryservice": Row("directoryservice", item_service.id, "外区剪发"),
            "organisation": Row("organisation", world["org2"], "税务局党支部"),
            "member": Row("member", world["mem3"], "mem3"),
            "memberregistration": Row("memberregistration", member_reg, "站前社区", ("approve", "reject")),
            "orgregistration": Row("orgregistration", org_reg, "税务局党支部", ("approve", "reject")),
            "appointmentservice": Row("appointmentservice", service.id, "外区理发"),
            "appointmentslot": Row("appointmentslot", slot.id, "外区理发"),
            "demand": Row("demand", wish.demand_id, "外区的心愿", ("reopen", "publish")),
            "claim": Row("claim", claim, "外区的心愿", ("sign_in",)),
            "order": Row("order", order.id, order.pickup_code),
            "pointadjustment": Row("pointadjustment", request.id, "外区大额调整", ("approve", "reject")),
            "auditlog": Row("auditlog", audit_id, "外区调价"),
            "resource": Row("resource", room.id, "外区会议室"),
        }


VIEWS = ["tasktype", "shopitem", "newspost", "directoryentry", "directoryservice", "organisation", "member",
         "memberregistration", "orgregistration", "appointmentservice", "appointmentslot", "demand", "claim", "order",
         "pointadjustment", "auditlog", "resource"]


def _snapshot(factory, endpoint: str, row_id: int):
    from schemas import tables

    model = {"tasktype": tables.TaskType, "shopitem": tables.ShopItem, "newspost": tables.NewsPost,
             "directoryentry": tables.DirectoryEntry, "directoryservice": tables.DirectoryService,
             "organisation": tables.Organisation, "member": tables.Member,
             "memberregistration": tables.MemberRegistration, "orgregistration": tables.OrgRegistration,
             "appointmentservice": tables.AppointmentService, "appointmentslot": tables.AppointmentSlot,
             "demand": tables.Demand, "claim": tables.Claim, "order": tables.Order,
             "pointadjustment": tables.PointAdjustment, "auditlog": tables.AuditLog,
             "resource": tables.Resource}[endpoint]
    with factory() as s:
        row = s.get(model, row_id)
        return None if row is None else audit.snapshot(row)


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("user", ["dadm1", "cadm_a"])
def test_another_regions_row_is_out_of_reach(login, factory, theirs, view, user):
    row = theirs[view]
    client = login(user)
    base = f"/admin/{row.endpoint}"
    before = _snapshot(factory, row.endpoint, row.row_id)
    listing = client.get(f"{base}/")
    assert listing.status_code == 200
    assert row.text not in listing.get_data(as_text=True)
    assert row.text not in client.get(f"{base}/details/?id={row.row_id}", follow_redirects=True).get_data(as_text=True)
    assert client.get(f"{base}/history/?id={row.row_id}").status_code == 404
    edit = client.get(f"{base}/edit/?id={row.row_id}", follow_redirects=True).get_data(as_text=True)
    assert f'value="{row.text}"' not in edit
    exported = load_workbook(io.BytesIO(client.get(f"{base}/export.xlsx").data)).active
    assert row.text not in {str(c) for r in exported.iter_rows(values_only=True) for c in r}
    csrf = tokens(client, "/admin/shopitem/")  # one session token serves every model form
    client.post(f"{base}/edit/?id={row.row_id}", data={**csrf, "name": "改掉", "title": "改掉", "price": "1"})
    client.post(f"{base}/delete/", data={**csrf, "id": row.row_id})
    for name in row.actions:
        client.post(f"{base}/action/", data={**csrf, "action": name, "rowid": [row.row_id]})
    assert _snapshot(factory, row.endpoint, row.row_id) == before


@pytest.mark.parametrize("view", VIEWS)
def test_the_regions_own_admins_do_see_it(login, theirs, view):
    """The positive control: the row is there for the admin of its region (and the city)."""
    row = theirs[view]
    user = "cityadm" if view == "auditlog" else "cadm_b"
    client = login(user)
    assert row.text in client.get(f"/admin/{row.endpoint}/").get_data(as_text=True)
    assert client.get(f"/admin/{row.endpoint}/history/?id={row.row_id}").status_code == 200


def test_restock_and_slots_out_of_scope(login, factory, theirs, world):
    client = login("cadm_a")
    item = theirs["shopitem"].row_id
    csrf = tokens(client, "/admin/shopitem/")
    client.post(f"/admin/shopitem/restock/?id={item}", data={**csrf, "delta": "50", "reason": "越权补货"})
    with factory() as s:
        assert s.get(ShopItem, item).stock == 4  # 5, one redeemed; not 54
    page = client.get("/admin/appointmentslot/bulk/").get_data(as_text=True)
    assert "外区理发" not in page  # the other community's service is not a choice
    bulk = client.post("/admin/appointmentslot/bulk/", data={
        **tokens(client, "/admin/appointmentslot/bulk/"), "service_id": theirs["appointmentservice"].row_id,
        "weekdays": ["0"], "times": "09:00-10:00", "first_day": "2030-01-07", "weeks": "1", "capacity": "2"})
    assert "请从您管辖范围内的选项中选择" in bulk.get_data(as_text=True)
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(AppointmentSlot).where(
            AppointmentSlot.service_id == theirs["appointmentservice"].row_id)) == 1


def test_community_admins_read_task_types_and_only_the_city_sets_bounds(login, world, factory):
    reader = login("cadm_a")
    assert reader.get("/admin/tasktype/").status_code == 200
    assert reader.get(f"/admin/tasktype/edit/?id={world['tt_micro_wish']}").status_code == 302  # no edit form
    assert 'href="/admin/tasktype/new/' not in reader.get("/admin/tasktype/").get_data(as_text=True)
    district = login("dadm1")
    page = district.get("/admin/pointpolicy/").get_data(as_text=True)
    assert "积分调整审批线" in page and "/admin/pointpolicy/edit/" not in page


@pytest.mark.parametrize("user", ["cityadm", "dadm1", "cadm_b"])
def test_every_page_renders_for_every_role(login, theirs, user):
    """List, create, edit, details and history of every view, in Chinese and in English."""
    client = login(user)
    for lang in ("zh", "en"):
        client.get(f"/admin/?lang={lang}")
        for view in [*VIEWS, "pointpolicy"]:
            row = theirs.get(view)
            assert client.get(f"/admin/{view}/").status_code == 200, view
            assert client.get(f"/admin/{view}/new/").status_code in (200, 302), view
            if row is not None:
                for page in ("edit", "details"):
                    assert client.get(f"/admin/{view}/{page}/?id={row.row_id}").status_code in (200, 302), (view, page)
        for page in ("/admin/imports/", "/admin/appointmentslot/bulk/", "/admin/workflows/"):
            assert client.get(page).status_code == 200, page
