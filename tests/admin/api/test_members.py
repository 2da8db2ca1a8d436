"""A member's organisation, skills and service record, an organisation's back office, and
cancelling an order, over the API (the staff tools' last part, #staff)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from admin.api.client import ApiError
from flows.points import ledger, shop
from schemas.tables import Account, Event, Member, Order, OrderStatus, ShopItem, TaskCategory, TaskType
from tests.flows.walker import Walker
from tests.world import NOW


def _bearer(client) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.tokens['access_token']}"}


def _not_modified(client, path: str) -> bool:
    response = client._send("GET", path)
    return client.http.get(path, headers={"If-None-Match": response.headers["ETag"], **_bearer(client)}).status_code \
        == 304


def _served(factory, world) -> Walker:
    walk = Walker(factory, world).recruiting_activity("助老", 3, NOW + timedelta(hours=1))
    for user, step, data in [("cadm_a", "begin", {}), ("mem1", "sign_in", {}), ("mem1", "sign_out", {}),
                             ("cadm_a", "finish", {}), ("cadm_a", "evaluate", {"rating": 5})]:
        walk.act(user, step, data, now=NOW + timedelta(hours=1))
    return walk


def test_member_says_which_organisation(api, world, factory):
    member = api("mem2")
    mine = member.member_org()
    assert mine["org_id"] == world["org1"] and {c["id"] for c in mine["choices"]} >= {world["org1"], world["org2"]}
    asked = member.ask_org(world["org2"], key="org-1")
    assert (asked["org_id"], asked["requested_org_id"]) == (world["org1"], world["org2"])  # its admins decide
    assert member.ask_org(world["org2"], key="org-1") == asked  # replayed
    admin = api("orgadm2")
    waiting = admin.join_requests()
    assert [(r["member_id"], r["org_id"]) for r in waiting] == [(world["mem2"], world["org2"])]
    assert api("orgadm1").join_requests() == []
    with pytest.raises(ApiError) as not_theirs:
        api("orgadm1").post(f"/org/join-requests/{world['mem2']}", {"org_id": world["org2"], "approve": True})
    assert not_theirs.value.status == 404
    with pytest.raises(ApiError) as not_admin:
        api("mem1").get("/org/join-requests")
    assert not_admin.value.status == 404
    assert _not_modified(admin, "/org/join-requests")
    for anonymous_call in (lambda: api().get("/org/join-requests"),
                           lambda: api().post(f"/org/join-requests/{world['mem2']}", {"org_id": world["org2"],
                                                                                       "approve": True})):
        with pytest.raises(ApiError) as nobody:
            anonymous_call()
        assert nobody.value.status == 401
    with pytest.raises(ApiError) as no_answer:
        admin.post(f"/org/join-requests/{world['mem2']}", {"org_id": world["org2"]})
    assert no_answer.value.status == 422
    admin.decide_join_request(world["mem2"], world["org2"], True)
    with pytest.raises(ApiError) as twice:
        admin.decide_join_request(world["mem2"], world["org2"], False)
    assert twice.value.status == 409 and twice.value.code == "join.decided"
    with factory() as s:
        assert s.get(Member, world["mem2"]).org_id == world["org2"]
    assert member.member_org()["org_id"] == world["org2"]
    assert member.ask_org(None)["org_id"] is None
    with factory() as s:
        assert s.get(Member, world["mem2"]).org_id is None
    with pytest.raises(ApiError) as unknown:
        member.ask_org(999999)
    assert unknown.value.status == 422 and "org_id" in unknown.value.errors
    with pytest.raises(ApiError) as resident:
        api("res_a").member_org()
    assert resident.value.status == 404
    with pytest.raises(ApiError) as not_member:
        api("res_a").ask_org(world["org1"])
    assert not_member.value.status == 403
    with pytest.raises(ApiError) as anonymous:
        api().member_org()
    assert anonymous.value.status == 401
    with pytest.raises(ApiError) as anonymous_put:
        api().ask_org(None)
    assert anonymous_put.value.status == 401
    assert _not_modified(member, "/me/org")


def test_member_keeps_skills(api, world, factory):
    member = api("mem2")
    mine = member.my_skills()
    assert mine["skills"] == [] and "repair" in [c["code"] for c in mine["choices"]]
    assert member.set_my_skills(["repair"])["skills"] == ["repair"]
    assert member.my_skills()["skills"] == ["repair"]
    assert "repair" in member.me()["skills"]
    with pytest.raises(ApiError) as unknown:
        member.set_my_skills(["juggling"])
    assert unknown.value.status == 422 and "skills" in unknown.value.errors
    with pytest.raises(ApiError) as resident:
        api("res_a").my_skills()
    assert resident.value.status == 404
    with pytest.raises(ApiError) as not_member:
        api("res_a").set_my_skills([])
    assert not_member.value.status == 403
    for call in (api().my_skills, lambda: api().set_my_skills([])):
        with pytest.raises(ApiError) as anonymous:
            call()
        assert anonymous.value.status == 401
    assert _not_modified(member, "/me/skills")


def test_service_record_and_the_organisations_office(api, world, factory):
    walk = _served(factory, world)
    record = api("mem1").service_record()
    assert record["activities"] == 1 and record["points"] > 0
    assert [r["demand_id"] for r in record["items"]] == [walk.demand_id]
    assert api("mem2").service_record()["items"] == []
    office = api("orgadm1").org_office()
    assert [o["id"] for o in office] == [world["org1"]]
    with factory() as s:
        balance = s.scalar(select(Account.balance).where(Account.code == f"org:{world['org1']}"))
    assert office[0]["balance"] == balance == 20 and office[0]["members"] >= 2 and office[0]["history"]
    activity = next(a for a in office[0]["activities"] if a["demand_id"] == walk.demand_id)
    assert [p["name"] for p in activity["people"]] == ["mem1"] and activity["people"][0]["points"] > 0
    assert api("orgadm2").org_office()[0]["activities"] == []  # another organisation's office
    with pytest.raises(ApiError) as member:
        api("mem1").org_office()
    assert member.value.status == 404
    for call in (api().org_office, api().service_record):
        with pytest.raises(ApiError) as anonymous:
            call()
        assert anonymous.value.status == 401
    assert _not_modified(api("orgadm1"), "/org") and _not_modified(api("mem1"), "/me/service")


def test_org_admin_lists_and_removes_a_member_over_the_api(api, world, factory):
    """The office lists the organisation's members; DELETE takes one off (told, an event), once:
    the same key again answers as before, a new one 409; not my organisation: 404."""
    admin = api("orgadm1")
    people = admin.org_office()[0]["people"]
    assert {p["name"] for p in people} >= {"mem1", "mem2"}
    with pytest.raises(ApiError) as elsewhere:
        api("orgadm2").remove_member(world["org1"], world["mem2"])
    assert elsewhere.value.status == 404
    admin.delete(f"/org/{world['org1']}/members/{world['mem2']}", key="remove-mem2")
    admin.delete(f"/org/{world['org1']}/members/{world['mem2']}", key="remove-mem2")  # a retry: its kept 204
    with pytest.raises(ApiError) as again:
        admin.remove_member(world["org1"], world["mem2"])
    assert (again.value.status, again.value.code) == (409, "org.not_member")
    assert "mem2" not in {p["name"] for p in admin.org_office()[0]["people"]}
    with factory() as s:
        assert s.get_one(Member, world["mem2"]).org_id is None
        assert s.scalars(select(Event.step).where(Event.subject == "members", Event.subject_id == world["mem2"])
                         ).all() == ["remove_org"]


def _order(factory, world, user: str = "res_a", name: str = "挂面") -> Order:
    with factory() as s:
        item = ShopItem(community_id=world["ca"], name=name, price=5, stock=3)
        s.add(item)
        s.commit()
        ledger.post(s, f"gift-{item.id}", ledger.PostingKind.AWARD, "奖励", [
            ledger.Move(ledger.issuance_account(s), -5), ledger.Move(ledger.user_account(s, world[user]), 5)])
        s.commit()
        return shop.redeem(s, world[user], item.id, now=NOW)


def test_cancel_an_order_gives_the_points_back(api, world, factory):
    order = _order(factory, world)
    buyer = api("res_a")
    assert buyer.points()["balance"] == 0
    with pytest.raises(ApiError) as someone_else:
        api("res_a2").cancel_order(order.id)
    assert someone_else.value.status == 404
    done = buyer.cancel_order(order.id, "买错了", key="cancel-1")
    assert done["id"] == order.id and done["status"] == "cancelled"
    assert buyer.cancel_order(order.id, "买错了", key="cancel-1") == done  # replayed
    with pytest.raises(ApiError) as twice:
        buyer.cancel_order(order.id)
    assert twice.value.status == 409
    assert buyer.points()["balance"] == 5
    with factory() as s:
        assert s.get(Order, order.id).status is OrderStatus.CANCELLED
    other = _order(factory, world, name="大米")  # the community's admin may cancel at the counter
    assert api("cadm_a").cancel_order(other.id)["status"] == "cancelled"
    with pytest.raises(ApiError) as long_reason:
        buyer.cancel_order(other.id, "x" * 300)
    assert long_reason.value.status == 422
    with pytest.raises(ApiError) as anonymous:
        api().cancel_order(other.id)
    assert anonymous.value.status == 401


def test_hall_type_filter_keeps_the_same_named_type_of_my_district(api, world, factory):
    with factory() as s:  # the district's own 微心愿, by the name of the city's one the wish was started as
        own = TaskType(code="micro_wish", name="micro_wish", category=TaskCategory.MICRO_WISH,
                       workflow_id="micro_wish", district_id=world["d1"])
        s.add(own)
        s.commit()
        own_id = own.id
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "修水管"})
    walk.act("cadm_a", "publish")
    member = api("mem1")
    assert [i["title"] for i in member.hall(task_type_id=own_id)] == ["修水管"]
    assert member.hall(task_type_id=world["tt_volunteer"]) == []


def test_a_type_filter_also_finds_what_my_organisation_grabbed_in_another_district(factory, world):
    """The filter is by name: 铁力's 微心愿 is the same kind of work as 伊美区's, and an activity
    the member's organisation grabbed there is of 铁力's type."""
    from flows.engine import hall as hall_reads
    from flows.people.actors import load_actor

    with factory() as s:
        mine = TaskType(code="micro_wish", name="邻里互助", category=TaskCategory.MICRO_WISH, workflow_id="micro_wish",
                        district_id=world["d1"])
        theirs = TaskType(code="micro_wish", name="邻里互助", category=TaskCategory.MICRO_WISH,
                          workflow_id="micro_wish", district_id=world["d2"])
        s.add_all([mine, theirs])
        s.commit()
        assert set(hall_reads.same_types(s, load_actor(s, world["mem1"]), mine.id)) == {mine.id, theirs.id}


def test_the_apis_timeline_carries_what_was_typed(api, world, factory):
    """A rejection's reason reaches the mini-program's timeline too (free text to the people of it)."""
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "修水管"})
    walk.act("cadm_a", "reject", {"reason": "请联系物业报修"})
    entry = next(e for e in api("res_a").demand(walk.demand_id)["timeline"] if e["step"] == "reject")
    assert entry["notes"] == [{"title": "原因", "value": "请联系物业报修"}]
