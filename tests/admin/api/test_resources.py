"""Shared resources (资源共享) over the API: found with the reasons why, requested by an admin
and answered by the holder's admin with the demand's steps (the range held in the database,
a second request for the same time refused), and 我的资源 kept only by its holders (another
organisation's or community's resource is not there). The database is checked after each."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import delete, func, select

from admin.api.client import ApiError
from admin.api.models import aware
from schemas.clock import LOCAL_TZ
from schemas.tables import (
    ApiReplay,
    Demand,
    Resource,
    ResourceBooking,
    ResourceBookingStatus,
    ResourceClosure,
    ResourceHours,
)
from tests.flows.sharing.shared import CLOSED_DAY, add_community_room, add_sharing
from tests.world import NOW


@pytest.fixture
def shared(factory, world):
    return add_community_room(factory, add_sharing(factory, world))


def on(weekday: int, hour: int, weeks: int = 0) -> datetime:
    """The next `weekday` (0 Monday) at `hour`, Beijing time, two days or more after NOW (never
    the fixture's closed day)."""
    day = NOW.astimezone(LOCAL_TZ).date() + timedelta(days=2)
    day += timedelta(days=(weekday - day.weekday()) % 7 + 7 * weeks)
    if day == CLOSED_DAY:
        day += timedelta(days=7)
    return datetime.combine(day, time(hour), tzinfo=LOCAL_TZ)


def iso(at: datetime) -> str:
    return at.isoformat()


def refused(call, *args, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_an_admin_requests_the_holder_approves_and_the_time_is_not_given_twice(api, factory, shared):
    start, end = on(0, 10), on(0, 11)
    admin = api("cadm_a")
    found = admin.resources(kind="room", starts_at=iso(start), ends_at=iso(end))
    room = next(r for r in found if r["id"] == shared["room"])
    assert room["free"] is True and {"match.kind", "match.free"} <= {r["code"] for r in room["reasons"]}
    assert "所选时间开放且空闲" in [r["text"] for r in room["reasons"]]
    near = next(r for r in api("res_a").resources(kind="room") if r["id"] == shared["room"])
    assert near["distance_km"] == pytest.approx(3.6, abs=0.5)  # from the resident's community
    page = admin.resource(shared["room"])
    assert page["hours"][0] == "周一 09:00-17:00" and page["openings"][0] == {"weekday": 0, "opens": "09:00",
                                                                            "closes": "17:00"}
    assert page["busy"] == [] and page["owner"] == "财政局党支部" and page["may_manage"] is True

    sent = admin._send("POST", f"/resources/{shared['room']}/requests", json={
        "title": "党课", "starts_at": iso(start), "ends_at": iso(end), "capacity": 20, "note": "需要投影"},
        headers={"Idempotency-Key": "res-1"})
    demand_id = sent.json()["demand_id"]
    assert sent.status_code == 201 and sent.headers["Location"] == f"/api/v1/demands/{demand_id}"
    assert sent.json()["to_state"] == "requested"
    again = admin.request_resource(shared["room"], "党课", iso(start), iso(end), capacity=20, note="需要投影",
                                   key="res-1")
    assert again == sent.json()  # the same tap again: the first answer, nothing done twice

    owner = api("orgadm1")
    offered = {s["step"]: s["ends"] for s in owner.demand(demand_id)["steps"]}
    assert offered["approve"] is False and offered["decline"] is True  # 不同意 ends it: the app asks first
    assert owner.step(demand_id, "approve", {"reply": "欢迎"})["to_state"] == "approved"
    with factory() as s:
        demand = s.get(Demand, demand_id)
        assert (demand.state, demand.title, demand.org_id) == ("approved", "党课", shared["org1"])
        booking = s.scalar(select(ResourceBooking).where(ResourceBooking.demand_id == demand_id))
        assert booking.status is ResourceBookingStatus.HELD and booking.resource_id == shared["room"]
        assert (aware(booking.starts_at), aware(booking.ends_at)) == (start, end)
        assert s.scalar(select(func.count()).select_from(ResourceBooking)) == 1
    busy = admin.resource(shared["room"])["busy"]
    assert [datetime.fromisoformat(b["starts_at"]) for b in busy] == [start]

    taken = refused(api("res_a").request_resource, shared["room"], "读书会", iso(on(0, 10, 0) + timedelta(
        minutes=30)), iso(on(0, 12)))
    assert taken.status == 409 and taken.code == "resource.taken" and "已被预约" in taken.detail
    found = admin.resources(kind="room", starts_at=iso(start), ends_at=iso(end))
    busy_room = next(r for r in found if r["id"] == shared["room"])
    assert busy_room["free"] is False and "match.busy" in {r["code"] for r in busy_room["reasons"]}
    received = owner.my_resources()["requests"]
    assert [(r["demand_id"], r["state"], r["held"]) for r in received] == [(demand_id, "approved", True)]
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Demand)) == 1


def test_a_community_shares_its_own_room_its_admin_answers(api, factory, shared):
    start, end = on(1, 14), on(1, 16)
    requester = api("orgadm1")
    first = requester.request_resource(shared["hall"], "支部活动", iso(start), iso(end))["demand_id"]
    second = requester.request_resource(shared["hall"], "支部会议", iso(end), iso(end + timedelta(hours=1)))[
        "demand_id"]  # touching ends do not overlap
    admin = api("cadm_a")
    assert admin.step(first, "approve")["to_state"] == "approved"
    assert admin.step(second, "decline", {"reason": "那天有社区活动"})["to_state"] == "declined"
    with factory() as s:
        states = {b.demand_id: b.status for b in s.scalars(select(ResourceBooking))}
        assert states == {first: ResourceBookingStatus.HELD, second: ResourceBookingStatus.RELEASED}
    # the declined time is free again
    third = api("res_a").request_resource(shared["hall"], "居民议事", iso(end), iso(end + timedelta(hours=1)))
    assert third["to_state"] == "requested"
    assert refused(api("orgadm2").step, first, "approve").status in (403, 404)  # not theirs to answer


def test_request_refusals_say_why(api, factory, shared):
    admin = api("cadm_a")
    room = shared["room"]
    cases = [
        (on(5, 10), on(5, 11), "resource.outside_hours"),  # a Saturday
        (on(0, 8), on(0, 10), "resource.outside_hours"),  # before it opens
        (NOW - timedelta(days=1), NOW - timedelta(days=1) + timedelta(hours=1), "resource.past"),
        (on(0, 11), on(0, 10), "resource.times"),
        (on(0, 9), on(0, 9) + timedelta(hours=80), "resource.too_long"),
    ]
    for start, end, code in cases:
        problem = refused(admin.request_resource, room, "党课", iso(start), iso(end))
        assert (problem.status, problem.code) == (409, code), (start, problem)
        assert problem.detail
    owner = api("orgadm1")
    closed = on(3, 0).date()
    assert owner.close_resource_day(room, closed.isoformat(), "设备检修")["day"] == closed.isoformat()
    problem = refused(admin.request_resource, room, "党课", iso(on(3, 10)), iso(on(3, 11)))
    assert problem.code == "resource.closed_day" and "设备检修" in problem.detail
    assert {"day": closed.isoformat(), "note": "设备检修"} in admin.resource(room)["closed_days"]
    missing = refused(admin.post, f"/resources/{room}/requests", {"starts_at": iso(on(0, 10))})
    assert missing.status == 422 and {"title", "ends_at"} <= set(missing.errors)
    too_long = refused(admin.request_resource, room, "党" * 61, iso(on(0, 10)), iso(on(0, 11)))
    assert too_long.status == 422 and "title" in too_long.errors  # the workflow's form limit
    other = refused(admin.request_resource, room, "党课", iso(on(0, 10)), iso(on(0, 11)), for_demand=2**31 - 1)
    assert other.code == "resource.for_demand"
    assert refused(admin.request_resource, 2**31 - 1, "x", iso(on(0, 10)), iso(on(0, 11))).status == 404
    with factory() as s, s.begin():
        s.get(Resource, shared["projector"]).is_active = False
    gone = refused(admin.request_resource, shared["projector"], "x", iso(on(0, 10)), iso(on(0, 11)))
    assert (gone.status, gone.code) == (404, "resource.not_found")
    assert refused(admin.resource, shared["projector"]).status == 404
    bad_key = refused(admin.request_resource, room, "党课", iso(on(0, 10)), iso(on(0, 11)), key="not a key")
    assert (bad_key.status, bad_key.code) == (400, "api.key_format")
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Demand)) == 0


def test_a_retry_after_the_kept_answer_is_gone_is_answered_by_the_engine(api, factory, shared):
    admin = api("cadm_a")
    first = admin.request_resource(shared["room"], "党课", iso(on(0, 10)), iso(on(0, 11)), key="res-2")
    with factory() as s, s.begin():
        s.execute(delete(ApiReplay))
    again = admin._send("POST", f"/resources/{shared['room']}/requests", json={
        "title": "党课", "starts_at": iso(on(0, 10)), "ends_at": iso(on(0, 11))}, headers={"Idempotency-Key": "res-2"})
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert again.json()["demand_id"] == first["demand_id"]
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(ResourceBooking)) == 1


def test_search_filters_and_suggestions(api, shared):
    member = api("mem1")
    assert [r["id"] for r in member.resources(kind="equipment")] == [shared["projector"]]
    assert [r["id"] for r in member.resources(q="会议室")] == [shared["room"]]
    large = member.resources(capacity=100)
    assert shared["room"] not in [r["id"] for r in large] and shared["projector"] in [r["id"] for r in large]
    naive = member.resources(kind="room", starts_at=on(0, 10).strftime("%Y-%m-%dT%H:%M"),
                             ends_at=on(0, 11).strftime("%Y-%m-%dT%H:%M"))  # Beijing time, as on the web
    assert next(r for r in naive if r["id"] == shared["room"])["free"] is True
    english = api("mem1", language="en").resources(kind="room")
    assert english[0]["kind_title"] and english[0]["reasons"][0]["code"] == "match.kind"

    admin = api("cadm_a")
    suggested = admin.resource_suggestions(iso(on(0, 10)), iso(on(0, 12)), community_id=shared["ca"], capacity=20)
    assert [r["id"] for r in suggested][:1] == [shared["room"]] and shared["projector"] not in [
        r["id"] for r in suggested]  # another district's
    assert all(r["free"] for r in suggested)
    assert shared["room"] not in [r["id"] for r in admin.resource_suggestions(iso(on(5, 10)), iso(on(5, 12)))]
    for params in ({"starts_at": iso(on(0, 10))}, {"starts_at": iso(on(0, 12)), "ends_at": iso(on(0, 10))}):
        problem = refused(admin.get, "/resources", **params)
        assert problem.status == 422 and "ends_at" in problem.errors
    problem = refused(admin.get, "/resources/suggestions", starts_at=iso(on(0, 12)), ends_at=iso(on(0, 12)))
    assert problem.status == 422 and "ends_at" in problem.errors
    assert refused(admin.get, "/resources/suggestions", starts_at=iso(on(0, 10))).status == 422
    assert refused(admin.get, "/resources", kind="castle").status == 422
    assert refused(admin.get, "/resources", starts_at="0001-01-01T00:00:00", ends_at="0001-01-01T01:00:00"
                   ).status == 422  # before what UTC can hold: refused, not a 500
    assert refused(admin.resource, shared["room"], days=0).status == 422


def test_my_resources_for_holders_only(api, factory, shared):
    owner = api("orgadm1")
    mine = owner.my_resources()
    assert [r["id"] for r in mine["items"]] == [shared["room"]]
    assert mine["places"] == [{"org_id": shared["org1"], "org": "财政局党支部", "community_id": shared["ca"],
                               "community": "旭日社区"}]
    community = api("cadm_a").my_resources()
    assert [r["id"] for r in community["items"]] == [shared["hall"]]
    assert {"org_id": None, "org": None, "community_id": shared["ca"], "community": "旭日社区"} in community["places"]
    assert api("mem1").my_resources() == {"items": [], "places": [], "requests": []}

    made = owner._send("POST", "/my/resources", json={"name": "活动帐篷", "kind": "equipment",
                                                      "community_id": shared["ca"], "org_id": shared["org1"]},
                       headers={"Idempotency-Key": "new-1"})
    tent = made.json()
    assert made.status_code == 201 and made.headers["Location"] == f"/api/v1/my/resources/{tent['id']}"
    assert owner.new_resource("活动帐篷", shared["ca"], kind="equipment", org_id=shared["org1"], key="new-1") == tent
    own = api("cadm_a").new_resource("社区轮椅", shared["ca"], kind="equipment")
    with factory() as s:
        rows = {r.name: (r.org_id, r.community_id) for r in s.scalars(select(Resource))}
        assert rows["活动帐篷"] == (shared["org1"], shared["ca"]) and rows["社区轮椅"] == (None, shared["ca"])
        assert s.scalar(select(func.count()).select_from(Resource).where(Resource.name == "活动帐篷")) == 1
    assert own["owner"] == "旭日社区" and own["org_id"] is None
    for who, org_id, community_id in [("orgadm1", shared["org1"], shared["cb"]), ("orgadm1", shared["org2"],
                                       shared["cb"]), ("orgadm1", None, shared["ca"]), ("cadm_a", None, shared["cb"]),
                                      ("mem1", None, shared["ca"])]:
        problem = refused(api(who).new_resource, "别人的", community_id, org_id=org_id)
        assert (problem.status, problem.code) == (404, "resource.community"), who
    blank = refused(owner.new_resource, "   ", shared["ca"], org_id=shared["org1"])
    assert blank.status == 422 and "name" in blank.errors
    assert refused(owner.new_resource, "x", shared["ca"], kind="castle", org_id=shared["org1"]).status == 422

    # another organisation's, another community's: not there
    for who, resource in [("orgadm2", shared["room"]), ("cadm_b", shared["room"]), ("orgadm1", shared["hall"]),
                          ("mem1", shared["room"])]:
        client = api(who)
        for call, args in [(client.my_resource, ()), (client.edit_resource, ({"name": "我的了", "kind": "room"},)),
                           (client.close_resource_day, (on(0, 0).date().isoformat(),))]:
            problem = refused(call, resource, *args)
            assert (problem.status, problem.code) == (404, "resource.not_found"), (who, call)
    assert api("cadm_a").my_resource(shared["room"])["may_manage"] is True  # its community's admin keeps it too
    with factory() as s:
        assert s.get(Resource, shared["room"]).name == "财政局三楼会议室"
        assert s.scalar(select(func.count()).select_from(ResourceClosure)) == 1  # the fixture's


def test_a_holder_edits_hours_photo_and_closed_days(api, factory, shared):
    from tests.admin.journeys.people import PNG

    owner = api("orgadm1")
    room = shared["room"]
    edited = owner.edit_resource(room, {"name": "大会议室", "kind": "room", "capacity": 50, "location": "三楼",
                                        "hours": ["周六 08:00-12:00", "mon-tue 14:00-18:00"]})
    assert edited["hours"] == ["周一 14:00-18:00", "周二 14:00-18:00", "周六 08:00-12:00"]
    assert (edited["name"], edited["capacity"], edited["equipment"]) == ("大会议室", 50, None)  # omitted: cleared
    with factory() as s:
        assert sorted((h.weekday, h.opens, h.closes) for h in s.scalars(select(ResourceHours))) == [
            (0, 840, 1080), (1, 840, 1080), (5, 480, 720)]
        assert s.get(Resource, room).equipment is None
    bad = refused(owner.edit_resource, room, {"name": "改了名", "kind": "room", "hours": ["随时"]})
    assert bad.status == 422 and "hours" in bad.errors
    with factory() as s:
        assert s.get(Resource, room).name == "大会议室"  # nothing saved
    key = owner.upload(PNG, "room.png", "image/png")
    assert owner.edit_resource(room, {"name": "大会议室", "kind": "room", "photo": key})["photo"] == key
    assert owner.edit_resource(room, {"name": "大会议室", "kind": "room"})["photo"] == key  # kept
    unknown = refused(owner.edit_resource, room, {"name": "大会议室", "kind": "room", "photo": "f" * 32 + ".png"})
    assert unknown.status == 422 and "photo" in unknown.errors
    assert owner.edit_resource(room, {"name": "大会议室", "kind": "room"})["hours"] == []  # by arrangement
    assert api("res_a").resource(room)["hours"] == []

    day = (NOW.astimezone(LOCAL_TZ).date() + timedelta(days=20)).isoformat()
    assert owner.close_resource_day(room, day, "元旦") == {"day": day, "note": "元旦"}
    assert {"day": day, "note": "元旦"} in owner.my_resource(room)["closed_days"]
    assert refused(owner.close_resource_day, room, "not a day").status == 422
    with factory() as s:
        assert (date.fromisoformat(day), "元旦") in [(c.day, c.note) for c in s.scalars(select(ResourceClosure))]


def test_service_matrix(api, shared):
    matrix = api("res_a").service_matrix(shared["ca"])
    rows = {row["name"]: row for row in matrix["items"]}
    assert [r["name"] for r in rows["财政局党支部"]["resources"]] == ["财政局三楼会议室"]
    assert rows["旭日社区"]["org_id"] is None and rows["旭日社区"]["served"] == 0
    assert refused(api("res_a").service_matrix, 2**31 - 1).status == 404


def test_without_a_token_and_with_an_etag(api, shared):
    anonymous = api()
    room = shared["room"]
    times = {"starts_at": iso(on(0, 10)), "ends_at": iso(on(0, 11))}
    for method, path, body in [
        ("GET", "/resources", None), ("GET", "/resources/suggestions", None),
        ("GET", f"/resources/{room}", None), ("POST", f"/resources/{room}/requests", {"title": "x", **times}),
        ("GET", "/my/resources", None), ("POST", "/my/resources", {"name": "x", "community_id": shared["ca"]}),
        ("GET", f"/my/resources/{room}", None),
        ("PUT", f"/my/resources/{room}", {"name": "x", "kind": "room"}),
        ("POST", f"/my/resources/{room}/closed-days", {"day": on(0, 0).date().isoformat()}),
        ("GET", f"/communities/{shared['ca']}/matrix", None),
    ]:
        problem = refused(anonymous._send, method, path, json=body, params=times if "suggestions" in path else None)
        assert problem.status == 401, path
    owner = api("orgadm1")
    for path, params in [("/resources", {}), ("/resources/suggestions", times),
                         (f"/resources/{room}", {}), ("/my/resources", {}), (f"/my/resources/{room}", {}),
                         (f"/communities/{shared['ca']}/matrix", {})]:
        first = owner._send("GET", path, params=params)
        again = owner.http.get(path, params=params, headers={
            "If-None-Match": first.headers["ETag"], "Authorization": f"Bearer {owner.tokens['access_token']}"})
        assert again.status_code == 304, path
