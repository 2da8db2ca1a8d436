"""The staff's and admins' tools over the API: the work queue (待办) and the community counter
(pickups, point adjustments, orders, the community's phone). Walked through the reference
client; the database is checked afterwards."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from admin.api.client import ApiError
from flows.points import ledger, shop
from schemas.clock import utcnow
from schemas.tables import Account, AuditLog, Demand, Order, OrderStatus, PointAdjustment, PointPolicy, Region, ShopItem
from tests.flows.walker import Walker
from tests.world import NOW


def _bearer(client) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.tokens['access_token']}"}


# ---- the work queue -------------------------------------------------------------------------

def test_queue_lists_what_waits_on_me_and_its_step_is_taken(api, world, factory):
    late = Walker(factory, world).start("res_a", "micro_wish", {"title": "三天前的心愿"}, now=utcnow() - timedelta(days=3))
    today = Walker(factory, world).start("res_a", "micro_wish", {"title": "今天的心愿"}, now=utcnow())
    Walker(factory, world).start("res_b", "micro_wish", {"title": "站前的心愿"}, community="cb")
    admin = api("cadm_a")
    items = admin.queue()
    assert [i["title"] for i in items] == ["三天前的心愿", "今天的心愿"]  # oldest first, only my community
    first = items[0]
    assert first["demand_id"] == late.demand_id and first["community_id"] == world["ca"]
    assert first["overdue"] is True and items[1]["overdue"] is False and first["due"]
    assert "publish" in [s["step"] for s in first["steps"]]
    assert [i["demand_id"] for i in admin.queue(overdue=True)] == [late.demand_id]
    assert [i["demand_id"] for i in admin.queue(overdue=False)] == [today.demand_id]
    # the step is taken through the demand's own operation, then it leaves the queue
    admin.step(late.demand_id, "publish")
    assert [i["demand_id"] for i in admin.queue()] == [today.demand_id]
    with factory() as s:
        assert s.get(Demand, late.demand_id).state != first["state"]


def test_queue_pages_by_cursor_across_communities(api, world, factory):
    for n in range(5):
        Walker(factory, world).start("res_a", "micro_wish", {"title": f"心愿{n}"}, now=NOW + timedelta(minutes=n))
    Walker(factory, world).start("res_b", "micro_wish", {"title": "站前的心愿"}, community="cb",
                                 now=NOW + timedelta(minutes=9))
    city = api("cityadm")
    page = city.get("/queue", limit=2)
    assert [i["title"] for i in page["items"]] == ["心愿0", "心愿1"] and page["next_cursor"]
    every = city.queue(limit=2)
    assert [i["title"] for i in every] == [f"心愿{n}" for n in range(5)] + ["站前的心愿"]
    assert [i["title"] for i in city.queue(community_id=world["cb"])] == ["站前的心愿"]
    with pytest.raises(ApiError) as forged:
        city.get("/queue", cursor="!!!")
    assert forged.value.status == 400 and forged.value.code == "api.cursor"
    with pytest.raises(ApiError) as shape:
        city.get("/queue", cursor="WzEsMl0")  # [1,2]: not a time
    assert shape.value.status == 400
    response = city._send("GET", "/queue")
    again = city.http.get("/queue", headers={"If-None-Match": response.headers["ETag"], **_bearer(city)})
    assert again.status_code == 304 and again.content == b""


def test_queue_is_for_admins_of_their_communities(api, world, factory):
    with pytest.raises(ApiError) as other:
        api("cadm_a").get("/queue", community_id=world["cb"])
    assert other.value.status == 404
    with pytest.raises(ApiError) as member:
        api("mem1").get("/queue")
    assert member.value.status == 403 and member.value.code == "api.staff_only"
    with pytest.raises(ApiError) as anonymous:
        api().get("/queue")
    assert anonymous.value.status == 401
    with pytest.raises(ApiError) as bad:
        api("cadm_a").get("/queue", limit=0)
    assert bad.value.status == 422


# ---- the community counter ------------------------------------------------------------------

def _order(factory, world, user: str = "res_a", community: str = "ca", name: str = "挂面") -> Order:
    with factory() as s:
        item = ShopItem(community_id=world[community], name=name, price=5, stock=3)
        s.add(item)
        s.commit()
        ledger.post(s, f"gift-{user}-{item.id}", ledger.PostingKind.AWARD, "奖励", [
            ledger.Move(ledger.issuance_account(s), -5), ledger.Move(ledger.user_account(s, world[user]), 5)])
        s.commit()
        return shop.redeem(s, world[user], item.id, now=NOW)


def test_counter_hands_out_an_order_by_its_code_once(api, world, factory):
    order = _order(factory, world)
    other = _order(factory, world, "res_b", "cb")
    admin = api("cadm_a")
    reserved = admin.get("/counter/reserved")
    assert reserved["total"] == 1 and [o["id"] for o in reserved["items"]] == [order.id]
    assert reserved["items"][0]["buyer"] == "res_a" and reserved["items"][0]["item"] == "挂面"
    with pytest.raises(ApiError) as elsewhere:  # another community's code reads as unknown
        admin.confirm_pickup(other.pickup_code)
    assert elsewhere.value.status == 409 and elsewhere.value.code == "shop.bad_code"
    done = admin.confirm_pickup(order.pickup_code.lower(), key="pick-1")
    assert done["id"] == order.id and done["status"] == "picked_up"
    assert admin.confirm_pickup(order.pickup_code.lower(), key="pick-1") == done  # replayed, not refused
    with pytest.raises(ApiError) as twice:
        admin.confirm_pickup(order.pickup_code)
    assert twice.value.status == 409 and twice.value.code == "shop.not_reserved"
    with factory() as s:
        assert s.get(Order, order.id).status is OrderStatus.PICKED_UP
        assert s.get(Order, other.id).status is OrderStatus.RESERVED
    assert admin.reserved_orders() == []
    assert [o["id"] for o in admin.community_orders()] == [order.id]
    with pytest.raises(ApiError) as member:
        api("mem1").confirm_pickup(order.pickup_code)
    assert member.value.status == 403
    with pytest.raises(ApiError) as empty:
        admin.confirm_pickup("")
    assert empty.value.status == 422
    with pytest.raises(ApiError) as anonymous:
        api().confirm_pickup(other.pickup_code)
    assert anonymous.value.status == 401


def test_counter_order_lists_page_and_answer_304(api, world, factory):
    orders = [_order(factory, world, name=f"挂面{n}") for n in range(3)]
    admin = api("cadm_a")
    page = admin.get("/counter/orders", limit=2)
    assert [o["id"] for o in page["items"]] == [orders[2].id, orders[1].id] and page["next_cursor"]
    assert [o["id"] for o in admin.community_orders()] == [o.id for o in reversed(orders)]
    assert [o["id"] for o in admin.pages("/counter/reserved", limit=2)] == [o.id for o in orders]
    for path in ("/counter/orders", "/counter/reserved", "/counter/communities"):
        response = admin._send("GET", path)
        again = admin.http.get(path, headers={"If-None-Match": response.headers["ETag"], **_bearer(admin)})
        assert again.status_code == 304, path
    with pytest.raises(ApiError) as forged:
        admin.get("/counter/orders", cursor="!!!")
    assert forged.value.status == 400
    with pytest.raises(ApiError) as forged_reserved:
        admin.get("/counter/reserved", cursor="IngiCg")
    assert forged_reserved.value.status == 400
    for path in ("/counter/orders", "/counter/reserved"):
        with pytest.raises(ApiError) as bad:
            admin.get(path, limit=1000)
        assert bad.value.status == 422
        with pytest.raises(ApiError) as member:
            api("mem1").get(path)
        assert member.value.status == 403
        with pytest.raises(ApiError) as anonymous:
            api().get(path)
        assert anonymous.value.status == 401


def test_adjust_points_posts_once_and_large_ones_wait_for_approval(api, world, factory):
    admin = api("cadm_a")
    with factory() as s:
        line = s.get(PointPolicy, 1).adjust_threshold
    done = admin.adjust_points(world["res_a"], 7, "义务劳动补记", key="adj-1")
    assert done["status"] == "posted" and done["posting_id"]
    assert admin.adjust_points(world["res_a"], 7, "义务劳动补记", key="adj-1") == done
    big = admin._send("POST", "/counter/adjustments", json={"user_id": world["res_a"], "amount": line + 1,
                                                             "reason": "年度表彰"}, headers={"Idempotency-Key": "adj-2"})
    assert big.status_code == 202 and big.json()["status"] == "pending_approval" and big.json()["request_id"]
    with factory() as s:
        balance = s.scalar(select(Account.balance).where(Account.code == f"user:{world['res_a']}"))
        assert balance == 7
        assert s.scalar(select(func.count()).select_from(PointAdjustment)) == 1
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "adjust_points")) == 1
    with pytest.raises(ApiError) as other:  # not a person of my communities
        admin.adjust_points(world["res_b"], 5, "x")
    assert other.value.status == 403
    with pytest.raises(ApiError) as zero:
        admin.adjust_points(world["res_a"], 0, "x")
    assert zero.value.status == 422 and "amount" in zero.value.errors
    with pytest.raises(ApiError) as no_reason:
        admin.adjust_points(world["res_a"], 5, "")
    assert no_reason.value.status == 422
    with pytest.raises(ApiError) as anonymous:
        api().adjust_points(world["res_a"], 5, "x")
    assert anonymous.value.status == 401


def test_own_account_is_refused(api, world, factory):
    with pytest.raises(ApiError) as own:
        api("cadm_a").adjust_points(world["cadm_a"], 5, "x")
    assert own.value.status == 409 and own.value.code == "ledger.own_account"


def test_the_community_phone(api, world, factory):
    admin = api("cadm_a")
    assert [c["id"] for c in admin.counter_communities()] == [world["ca"]]
    saved = admin.set_community_phone(world["ca"], "0458-3601234")
    assert saved["phone"] == "0458-3601234"
    assert admin.counter_communities()[0]["phone"] == "0458-3601234"
    with factory() as s:
        assert s.get(Region, world["ca"]).phone == "0458-3601234"
    with pytest.raises(ApiError) as other:
        admin.set_community_phone(world["cb"], "0458-3601234")
    assert other.value.status == 404
    with pytest.raises(ApiError) as bad:
        admin.set_community_phone(world["ca"], "not a phone")
    assert bad.value.status == 422 and "phone" in bad.value.errors
    with pytest.raises(ApiError) as anonymous:
        api().set_community_phone(world["ca"], "")
    assert anonymous.value.status == 401
    with pytest.raises(ApiError) as member:
        api("mem1").counter_communities()
    assert member.value.status == 403
    with pytest.raises(ApiError) as nobody:
        api().counter_communities()
    assert nobody.value.status == 401
    admin.set_community_phone(world["ca"], "")
    with factory() as s:
        assert s.get(Region, world["ca"]).phone is None


# ---- 代办 -------------------------------------------------------------------------------------

def test_behalf_find_register_and_start_once(api, world, factory):
    from schemas.tables import Event, User

    admin = api("cadm_a")
    tt = world["tt_micro_wish"]
    entries = {e["task_type_id"]: e for e in admin.behalf_startables()}
    assert tt in entries and entries[tt]["for_role"] == "resident"
    assert entries[tt]["input_schema"].startswith("micro_wish.")
    assert tt not in [e["task_type_id"] for e in admin.startables()]  # not on my own menu
    found = admin.behalf_people(tt, q="res_a2")
    assert [p["user_id"] for p in found] == [world["res_a2"]] and found[0]["community_id"] == world["ca"]
    assert world["res_b"] not in [p["user_id"] for p in admin.behalf_people(tt)]  # another community's
    made = admin.register_resident(tt, world["ca"], "张大爷", key="reg-1")
    assert admin.register_resident(tt, world["ca"], "张大爷", key="reg-1") == made  # a retry: one resident
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(User).where(User.display_name == "张大爷")) == 1
    assert made["name"] == "张大爷" and made["community_id"] == world["ca"]
    posted = admin.start_for(tt, made["user_id"], {"title": "帮忙买药"}, key="for-1")
    assert posted["demand_id"] and posted["replayed"] is False
    assert admin.start_for(tt, made["user_id"], {"title": "帮忙买药"}, key="for-1") == posted
    with factory() as s:
        demand = s.scalar(select(Demand).where(Demand.title == "帮忙买药"))
        event = s.scalar(select(Event).where(Event.demand_id == demand.id))
        assert s.scalar(select(func.count()).select_from(Demand).where(Demand.title == "帮忙买药")) == 1
    assert demand.id == posted["demand_id"] and demand.requester_id == made["user_id"]
    assert event.actor_id == world["cadm_a"]
    assert admin.demand(demand.id)["id"] == demand.id


def test_behalf_location_and_refusals(api, world, factory):
    admin = api("cadm_a")
    tt = world["tt_micro_wish"]
    answer = admin._send("POST", f"/behalf/{tt}/people/{world['res_a2']}/start", json={"values": {"title": "修门"}})
    assert answer.status_code == 201 and answer.headers["Location"] == f"/api/v1/demands/{answer.json()['demand_id']}"
    registered = admin._send("POST", f"/behalf/{tt}/people", json={"community_id": world["ca"], "display_name": "李奶奶"})
    assert registered.status_code == 201 and registered.headers["Location"].endswith(
        f"/people/{registered.json()['user_id']}")
    with pytest.raises(ApiError) as other:  # another community's resident
        admin.start_for(tt, world["res_b"], {"title": "x"})
    assert other.value.status == 404
    with pytest.raises(ApiError) as elsewhere:  # registered in a community not mine
        admin.register_resident(tt, world["cb"], "王大爷")
    assert elsewhere.value.status == 422 and "community_id" in elsewhere.value.errors
    with pytest.raises(ApiError) as empty:
        admin.start_for(tt, world["res_a2"], {})
    assert empty.value.status == 422 and "title" in empty.value.errors
    with pytest.raises(ApiError) as bad_phone:
        admin.register_resident(tt, world["ca"], "赵大爷", phone="call me")
    assert bad_phone.value.status == 422 and "phone" in bad_phone.value.errors
    with pytest.raises(ApiError) as no_name:
        admin.register_resident(tt, world["ca"], "")
    assert no_name.value.status == 422
    member = api("mem1")  # a staff tool: 403 api.staff_only, as docs/api.md says (no empty list, no 404)
    for call in (member.behalf_startables, lambda: member.behalf_people(tt),
                 lambda: member.register_resident(tt, world["ca"], "x"),
                 lambda: member.start_for(tt, world["res_a2"], {"title": "x"})):
        with pytest.raises(ApiError) as staff_only:
            call()
        assert (staff_only.value.status, staff_only.value.code) == (403, "api.staff_only")
    for call in (lambda: admin.behalf_people(tt + 1000), lambda: admin.register_resident(tt + 1000, world["ca"], "x"),
                 lambda: admin.start_for(tt + 1000, world["res_a2"], {"title": "x"})):
        with pytest.raises(ApiError) as missing:  # a task type with no 代办 entry of mine
            call()
        assert missing.value.status == 404
    with pytest.raises(ApiError) as bad_query:
        admin.get(f"/behalf/{tt}/people", q="x" * 40)
    assert bad_query.value.status == 422
    with pytest.raises(ApiError) as nul:  # refused before any view, as on every page
        admin.get(f"/behalf/{tt}/people", q="张\x00")
    assert nul.value.status == 400
    nobody = api()
    for call in (nobody.behalf_startables, lambda: nobody.behalf_people(tt),
                 lambda: nobody.register_resident(tt, world["ca"], "x"),
                 lambda: nobody.start_for(tt, world["res_a2"], {"title": "x"})):
        with pytest.raises(ApiError) as anonymous:
            call()
        assert anonymous.value.status == 401
    for path in ("/behalf", f"/behalf/{tt}/people"):
        response = admin._send("GET", path)
        again = admin.http.get(path, headers={"If-None-Match": response.headers["ETag"], **_bearer(admin)})
        assert again.status_code == 304, path


# ---- attendance sheets ----------------------------------------------------------------------

def test_attendance_sheet_confirms_for_participants(api, world, factory):
    from schemas.tables import Event, ServiceRecord

    walk = Walker(factory, world).recruiting_activity("助老", 3, utcnow() - timedelta(minutes=10))  # under way
    walk.act("mem2", "sign_up")
    admin = api("cadm_a")
    recruiting = admin.attendance_sheet(walk.demand_id)
    assert recruiting["steps"] == [] and {p["name"] for p in recruiting["people"]} == {"mem1", "mem2"}
    assert walk.demand_id not in [a["demand_id"] for a in admin.attendance_demands()["items"]]
    walk.act("cadm_a", "begin", now=utcnow())
    listed = admin.attendance_demands()
    assert listed["total"] == 1 and listed["items"][0]["demand_id"] == walk.demand_id
    assert listed["items"][0]["participants"] == 2
    sheet = admin.attendance_sheet(walk.demand_id)
    assert "sign_in" in [s["step"] for s in sheet["steps"]]
    assert all(p["open_steps"] == ["sign_in"] for p in sheet["people"])
    with pytest.raises(ApiError) as early:
        admin.confirm_attendance(walk.demand_id, world["mem1"], "sign_out")
    assert early.value.status == 409
    done = admin.confirm_attendance(walk.demand_id, world["mem1"], "sign_in", key="att-1")
    assert done["step"] == "sign_in" and done["demand_id"] == walk.demand_id
    assert admin.confirm_attendance(walk.demand_id, world["mem1"], "sign_in", key="att-1") == done
    with pytest.raises(ApiError) as twice:
        admin.confirm_attendance(walk.demand_id, world["mem1"], "sign_in")
    assert twice.value.status == 409
    with pytest.raises(ApiError) as not_attendance:
        admin.confirm_attendance(walk.demand_id, world["mem2"], "begin")
    assert not_attendance.value.status == 409 and not_attendance.value.code == "state"
    with pytest.raises(ApiError) as stranger:
        admin.confirm_attendance(walk.demand_id, world["mem3"], "sign_in")
    assert stranger.value.status == 404
    row = next(p for p in admin.attendance_sheet(walk.demand_id)["people"] if p["user_id"] == world["mem1"])
    assert row["signed_in_at"] and row["open_steps"] == ["sign_out"]
    with factory() as s:
        signed = s.scalars(select(ServiceRecord.user_id).where(ServiceRecord.signed_in_at.is_not(None))).all()
        events = s.scalars(select(Event).where(Event.demand_id == walk.demand_id, Event.step == "sign_in")).all()
    assert signed == [world["mem1"]]
    assert [(e.actor_id, e.data["on_behalf_of"]) for e in events] == [(world["cadm_a"], world["mem1"])]


def test_attendance_is_for_the_communitys_admins(api, world, factory):
    walk = Walker(factory, world).recruiting_activity("助老", 3, utcnow() - timedelta(minutes=10))
    walk.act("cadm_a", "begin", now=utcnow())
    other = api("cadm_b")
    for call in (lambda: other.attendance_sheet(walk.demand_id),
                 lambda: other.confirm_attendance(walk.demand_id, world["mem1"], "sign_in"),
                 lambda: api("cadm_a").attendance_demands(community_id=world["cb"])):
        with pytest.raises(ApiError) as hidden:
            call()
        assert hidden.value.status == 404
    assert other.attendance_demands()["items"] == []
    for call in (api("mem1").attendance_demands, lambda: api("mem1").attendance_sheet(walk.demand_id)):
        with pytest.raises(ApiError) as member:
            call()
        assert (member.value.status, member.value.code) == (403, "api.staff_only")
    with pytest.raises(ApiError) as bad:
        api("cadm_a").confirm_attendance(walk.demand_id, 0, "sign_in")
    assert bad.value.status == 422
    with pytest.raises(ApiError) as bad_filter:
        api("cadm_a").attendance_demands(community_id=0)
    assert bad_filter.value.status == 422
    nobody = api()
    for call in (nobody.attendance_demands, lambda: nobody.attendance_sheet(walk.demand_id),
                 lambda: nobody.confirm_attendance(walk.demand_id, world["mem1"], "sign_in")):
        with pytest.raises(ApiError) as anonymous:
            call()
        assert anonymous.value.status == 401
    admin = api("cadm_a")
    for path in ("/attendance", f"/demands/{walk.demand_id}/attendance"):
        response = admin._send("GET", path)
        again = admin.http.get(path, headers={"If-None-Match": response.headers["ETag"], **_bearer(admin)})
        assert again.status_code == 304, path


# ---- 改期 -------------------------------------------------------------------------------------

def test_reschedule_moves_the_time_once(api, world, factory):
    from schemas.tables import Event

    start = utcnow().replace(second=0, microsecond=0) + timedelta(days=3)
    walk = Walker(factory, world).recruiting_activity("社区义诊", 5, start)
    later = start + timedelta(days=1)
    admin = api("cadm_a")
    moved = admin.reschedule(walk.demand_id, later.isoformat(), key="move-1")
    assert moved["step"] == "reschedule" and moved["demand_id"] == walk.demand_id
    assert admin.reschedule(walk.demand_id, later.isoformat(), key="move-1") == moved
    with factory() as s:
        demand = s.get(Demand, walk.demand_id)
        assert demand.starts_at == later and demand.ends_at == later + timedelta(hours=2)
        assert s.scalars(select(Event.actor_id).where(Event.demand_id == walk.demand_id,
                                                      Event.step == "reschedule")).all() == [world["cadm_a"]]
    with pytest.raises(ApiError) as backwards:
        admin.reschedule(walk.demand_id, later.isoformat(), (later - timedelta(hours=1)).isoformat())
    assert backwards.value.status == 422 and "ends_at" in backwards.value.errors
    with pytest.raises(ApiError) as member:  # sees the activity, may not move it
        api("mem1").reschedule(walk.demand_id, later.isoformat())
    assert member.value.status == 403
    with pytest.raises(ApiError) as other:
        api("cadm_b").reschedule(walk.demand_id, later.isoformat())
    assert other.value.status == 404
    with pytest.raises(ApiError) as anonymous:
        api().reschedule(walk.demand_id, later.isoformat())
    assert anonymous.value.status == 401
    with pytest.raises(ApiError) as bad:
        admin.reschedule(walk.demand_id, "tomorrow")
    assert bad.value.status == 422


def test_reschedule_of_a_finished_demand_is_refused(api, world, factory):
    walk = Walker(factory, world).recruiting_activity("助老", 3, NOW + timedelta(hours=1))
    for user, step, data in [("cadm_a", "begin", {}), ("mem1", "sign_in", {}), ("mem1", "sign_out", {}),
                             ("cadm_a", "finish", {}), ("cadm_a", "evaluate", {"rating": 5})]:
        walk.act(user, step, data, now=NOW + timedelta(hours=1))
    with pytest.raises(ApiError) as done:
        api("cadm_a").reschedule(walk.demand_id, (NOW + timedelta(days=2)).isoformat())
    assert done.value.status == 409 and done.value.code == "state"


def test_a_nul_character_in_a_body_is_refused_before_any_view(api, world, factory):
    """As on every page: a NUL is a 400, never stored cut short (SQLite) nor a 500 (PostgreSQL)."""
    walk = Walker(factory, world).recruiting_activity("助老", 3, utcnow() + timedelta(days=2))
    tt = world["tt_micro_wish"]
    admin = api("cadm_a")
    for method, path, body in [
            ("POST", "/counter/pickups", {"code": "AB\x00"}),
            ("POST", "/counter/adjustments", {"user_id": world["res_a"], "amount": 5, "reason": "x\x00"}),
            ("PUT", f"/counter/communities/{world['ca']}/phone", {"phone": "0458\x00"}),
            ("POST", f"/behalf/{tt}/people", {"community_id": world["ca"], "display_name": "张\x00"}),
            ("POST", f"/behalf/{tt}/people/{world['res_a2']}/start", {"values": {"title": "修\x00灯"}}),
            ("POST", f"/demands/{walk.demand_id}/attendance", {"user_id": world["mem1"], "step": "sign\x00"}),
            ("POST", f"/demands/{walk.demand_id}/reschedule", {"starts_at": "2030-01-01\x00"}),
            ("PUT", "/me/skills", {"skills": ["repair\x00"]}),
            ("POST", "/shop/orders/1/cancel", {"reason": "\x00"})]:
        with pytest.raises(ApiError) as nul:
            admin._send(method, path, json=body)
        assert nul.value.status == 400 and nul.value.code == "api.nul", path
    with factory() as s:
        assert s.get(Region, world["ca"]).phone is None
