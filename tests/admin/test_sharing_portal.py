"""资源共享 in the portal: found from the home page, requested, answered by the owner from
我的资源, and kept only by its owner (every GET and POST checks who is asking)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from schemas.clock import LOCAL_TZ
from schemas.tables import Demand, Resource, ResourceClosure, ResourceHours, User
from tests.flows.sharing.shared import add_sharing

# A Monday (the room opens on weekdays) some weeks ahead: within the year a time may be set in.
_DAY = datetime.now(LOCAL_TZ).date() + timedelta(days=21)
MONDAY = (_DAY + timedelta(days=-_DAY.weekday())).isoformat()


@pytest.fixture
def shared(factory, world):
    return add_sharing(factory, world)


def test_request_and_answer(login, factory, shared):
    admin = login("cadm_a")
    assert "资源共享" in admin.get("/").get_data(as_text=True)
    found = admin.get(f"/resources?kind=room&starts_at={MONDAY}T10:00&ends_at={MONDAY}T11:00")
    assert "财政局三楼会议室" in found.get_data(as_text=True) and "所选时间开放且空闲" in found.get_data(as_text=True)
    page = admin.get(f"/resources/{shared['room']}").get_data(as_text=True)
    assert "周一至周五 09:00-17:00" in page
    sent = admin.post(f"/resources/{shared['room']}/request", data={
        "title": "党课", "starts_at": f"{MONDAY}T10:00", "ends_at": f"{MONDAY}T11:00", "request_key": "k1"})
    assert sent.status_code == 302 and "/d/" in sent.headers["Location"]
    again = admin.post(f"/resources/{shared['room']}/request", data={
        "title": "党课2", "starts_at": f"{MONDAY}T10:30", "ends_at": f"{MONDAY}T11:30", "request_key": "k2"})
    page = again.get_data(as_text=True)  # refused (the time is taken): the form again, as it was typed
    assert again.status_code == 409 and "这个时间段已被预约" in page and 'value="党课2"' in page
    assert f'value="{MONDAY}T10:30"' in page
    empty = admin.post(f"/resources/{shared['room']}/request", data={"note": "带投影", "request_key": "k3"})
    page = empty.get_data(as_text=True)  # each missing field said beside it, the note kept
    assert empty.status_code == 400 and 'id="q-title-error"' in page and 'id="q-starts_at-error"' in page
    assert 'value="带投影"' in page
    with factory() as s:
        demand = s.scalar(select(Demand))
        assert (demand.title, demand.org_id) == ("党课", shared["org1"])
    owner = login("orgadm1")
    mine = owner.get("/my/resources").get_data(as_text=True)
    assert "财政局三楼会议室" in mine and f"/d/{demand.id}" in mine
    assert "待审批" in mine  # its state, as its workflow names it
    assert owner.get(f"/d/{demand.id}").status_code == 200


def test_the_owner_deciding_a_request_sees_who_asked_and_their_number(login, factory, shared, world):
    """The owner's admin approves or declines and may need to call: masked as 史** they decided
    blind. Another organisation's admin still sees no name or number."""
    with factory() as s:
        s.get_one(User, world["res_a"]).display_name, s.get_one(User, world["res_a"]).phone = "史玉兰", "13904581234"
        s.commit()
    resident = login("res_a")
    sent = resident.post(f"/resources/{shared['room']}/request", data={
        "title": "合唱排练", "starts_at": f"{MONDAY}T10:00", "ends_at": f"{MONDAY}T11:00", "request_key": "k1"})
    demand_url = sent.headers["Location"]
    page = login("orgadm1").get(demand_url).get_data(as_text=True)
    assert "发布者：史玉兰" in page and 'href="tel:13904581234"' in page
    other = login("orgadm2").get(demand_url)
    assert "史玉兰" not in other.get_data(as_text=True) and "13904581234" not in other.get_data(as_text=True)


def test_only_the_owner_keeps_it(login, factory, shared):
    stranger = login("orgadm2")
    assert stranger.get(f"/my/resources/{shared['room']}").status_code == 404
    assert stranger.post(f"/my/resources/{shared['room']}", data={"name": "我的了", "hours": ""}).status_code == 404
    owner = login("orgadm1")
    assert owner.get(f"/my/resources/{shared['room']}").status_code == 200
    owner.post(f"/my/resources/{shared['room']}", data={"name": "大会议室", "kind": "room", "capacity": "50",
                                                        "hours": "周六 08:00-12:00"})
    with factory() as s:
        room = s.get(Resource, shared["room"])
        assert (room.name, room.capacity) == ("大会议室", 50)
        assert [(h.weekday, h.opens) for h in s.scalars(select(ResourceHours))] == [(5, 480)]
    owner.post(f"/my/resources/{shared['room']}", data={"closed_day": "2030-01-01", "closed_note": "元旦"})
    owner.post(f"/my/resources/{shared['room']}", data={"closed_day": "not a day"})
    with factory() as s:
        assert [(c.day.isoformat(), c.note) for c in s.scalars(select(ResourceClosure).order_by(ResourceClosure.id))
                ][-1] == ("2030-01-01", "元旦")


def test_the_resource_page_says_its_closed_days_ahead_before_the_form(login, factory, shared):
    """A closed day was learnt only from the refusal after 提交申请."""
    soon = (datetime.now(LOCAL_TZ) + timedelta(days=5)).date()
    with factory() as s:
        s.add_all([ResourceClosure(resource_id=shared["room"], day=soon, note="设备检修"),
                   ResourceClosure(resource_id=shared["room"], day=soon + timedelta(days=200), note="很久以后")])
        s.commit()
    page = login("res_a").get(f"/resources/{shared['room']}").get_data(as_text=True)
    closed = page[page.index('id="closed-days"'):]
    assert "设备检修" in closed and f"{soon.month}月{soon.day}日" in closed and "很久以后" not in page


def test_matrix(login, shared):
    page = login("res_a").get(f"/communities/{shared['ca']}/matrix").get_data(as_text=True)
    assert "财政局党支部" in page and "财政局三楼会议室" in page


def test_an_activity_suggests_a_free_room_and_says_why(login, factory, shared):
    from flows import engine
    from tests.flows.sharing.shared import local

    with factory() as s:
        form = {"title": "读书会", "description": "d", "place": "p", "capacity": 20,
                "starts_at": local(3, 10).isoformat(), "ends_at": local(3, 12).isoformat()}
        activity = engine.start(s, shared["cadm_a"], shared["tt_env_cleanup"], form, community_id=shared["ca"],
                                now=local(1, 9)).demand_id
    page = login("cadm_a").get(f"/d/{activity}").get_data(as_text=True)
    assert "推荐的共享资源" in page and "财政局三楼会议室" in page and "所选时间开放且空闲" in page
    assert f"for_demand={activity}" in page
    assert "便携投影仪" not in page  # another district's
    assert "推荐的共享资源" not in login("res_a").get(f"/d/{activity}").get_data(as_text=True)


def test_resource_use_per_district_exportable(login, factory, shared):
    import io

    from openpyxl import load_workbook

    from flows import engine
    from tests.flows.sharing.shared import local, request

    with factory() as s:
        first = engine.start(s, shared["cadm_a"], shared["tt_resource"], request(local(3, 10), local(3, 12)),
                             resource_id=shared["room"], now=local(1, 9)).demand_id
        engine.start(s, shared["res_a"], shared["tt_resource"], request(local(3, 13), local(3, 14)),
                     resource_id=shared["room"], now=local(1, 9))
    for user, step, data in [("orgadm1", "approve", {}), ("orgadm1", "confirm_use", {}),
                             ("cadm_a", "evaluate", {"rating": 4})]:
        with factory() as s:
            engine.act(s, shared[user], first, step, data, now=local(3, 13), auto=True)
    admin = login("dadm1")
    page = admin.get("/admin/resource_use/").get_data(as_text=True)
    assert "伊美区" in page and "<td>2</td><td>1</td><td>2.0</td>" in page
    sheet = load_workbook(io.BytesIO(admin.get("/admin/resource_use/export.xlsx").data)).active
    assert list(sheet.iter_rows(values_only=True))[1] == ("伊美区", 2, 1, 2)
    assert "伊美区" not in login("cadm_b").get("/admin/resource_use/").get_data(as_text=True)


def test_owner_lists_a_new_resource_with_a_photo(login, factory, shared):
    import io

    from tests.admin.journeys.people import PNG

    owner = login("orgadm1")
    assert "新增共享资源" in owner.get("/my/resources").get_data(as_text=True)
    made = owner.post("/my/resources/new", data={"name": "活动帐篷", "kind": "equipment",
                                                 "place": f"{shared['org1']}:{shared['ca']}"})
    assert made.status_code == 302
    with factory() as s:
        tent = s.scalar(select(Resource).where(Resource.name == "活动帐篷"))
        assert (tent.org_id, tent.community_id) == (shared["org1"], shared["ca"])
    owner.post(f"/my/resources/{tent.id}", data={"name": "活动帐篷", "kind": "equipment", "hours": "",
                                                 "photo": (io.BytesIO(PNG), "tent.png")},
               content_type="multipart/form-data")
    with factory() as s:
        photo = s.get(Resource, tent.id).photo
    assert photo and owner.get(f"/media/{photo}").status_code == 200
    # not for another organisation, nor a community the organisation did not report to
    for place in (f"{shared['org2']}:{shared['cb']}", f"{shared['org1']}:{shared['cb']}", "x"):
        assert owner.post("/my/resources/new", data={"name": "x", "place": place}).status_code == 404


def test_received_requests_say_their_state_those_going_on_first(login, factory, shared):
    """收到的申请 mixed the request waiting for 同意 with the declined, without a state (the walk):
    each says its state, and those still going on come first."""
    asker = login("cadm_a")
    for title, hour in [("早上的会", "09"), ("下午的会", "14")]:
        asker.post(f"/resources/{shared['room']}/request", data={
            "title": title, "starts_at": f"{MONDAY}T{hour}:00", "ends_at": f"{MONDAY}T{hour}:30", "request_key": title})
    with factory() as s:
        morning = s.scalar(select(Demand.id).where(Demand.title == "早上的会"))
    owner = login("orgadm1")
    owner.post(f"/d/{morning}/step/decline", data={"reason": "那天有会", "request_key": "d1"})
    mine = owner.get("/my/resources").get_data(as_text=True)
    received = mine[mine.index("收到的申请"):]
    assert received.index("下午的会") < received.index("待审批") < received.index("早上的会") < received.index("未同意")


def test_resource_pages_are_for_those_who_keep_resources(login, factory, shared):
    """A member keeps no resources: /my/resources is 404 for them, as every page of a role one
    does not have; a community admin reaches it as 社区资源, an organisation's admin as 我的资源."""
    assert login("mem1").get("/my/resources").status_code == 404
    assert "<h1>社区资源</h1>" in login("cadm_a").get("/my/resources").get_data(as_text=True)
    assert "<h1>我的资源</h1>" in login("orgadm1").get("/my/resources").get_data(as_text=True)
    sent = login("res_a").post(f"/resources/{shared['room']}/request", data={
        "title": "合唱排练", "starts_at": f"{MONDAY}T10:00", "ends_at": f"{MONDAY}T11:00", "request_key": "k1"})
    page = login("orgadm1").get(sent.headers["Location"] + "?from=resources").get_data(as_text=True)
    assert "‹ 返回我的资源" in page
    page = login("res_a").get(sent.headers["Location"] + "?from=resources").get_data(as_text=True)
    assert "返回我的资源" not in page and "返回社区资源" not in page  # a list they cannot open is not offered


def test_a_booking_is_not_offered_resources_an_activity_is(login, factory, shared, world):
    """An appointment's page offered its admin a projector and a van for a haircut (the walk):
    suggestions are for a demand whose time its admin set, not a slot's booking."""
    from tests.flows.walker import Walker

    booking = Walker(factory, world)
    booking.start("res_a", "appointment", {"title": "理发"}, slot=world["slot"])
    assert 'id="resource-suggestions"' not in login("cadm_a").get(f"/d/{booking.demand_id}").get_data(as_text=True)


def test_a_request_is_between_who_asks_and_who_lends(login, factory, shared, world):
    """Any resident of the resource's community could read someone's request (the walk, through
    the API too): it stays with who asked, the lender's admins and the community's admins."""
    sent = login("res_a").post(f"/resources/{shared['room']}/request", data={
        "title": "家庭聚会", "starts_at": f"{MONDAY}T10:00", "ends_at": f"{MONDAY}T11:00", "request_key": "k1"})
    url = sent.headers["Location"]
    assert login("res_a").get(url).status_code == 200
    assert login("orgadm1").get(url).status_code == 200 and login("cadm_a").get(url).status_code == 200
    assert login("res_a2").get(url).status_code == 404 and login("mem2").get(url).status_code == 404


def test_a_refused_edit_is_said_beside_its_field_and_keeps_what_was_typed(login, factory, shared):
    """A refused save redirected to the stored values with the refusal in the banner: what was
    typed (a long 使用规则) was lost, and nothing said which field was wrong (the walk)."""
    owner = login("orgadm1")
    page = owner.post(f"/my/resources/{shared['room']}", data={
        "name": "\u200b", "kind": "room", "rules": "请提前一天申请，用后打扫", "hours": "周一 9点到5点"})
    text = page.get_data(as_text=True)
    assert page.status_code == 400
    assert 'id="name-error"' in text and "请填写名称（最多 64 字）" in text
    assert 'id="hours-error"' in text and "周一 9点到5点" in text and "请提前一天申请，用后打扫" in text
    too_many = owner.post(f"/my/resources/{shared['room']}", data={"name": "大会议室", "capacity": "20000", "hours": ""})
    assert too_many.status_code == 400 and 'id="capacity-error"' in too_many.get_data(as_text=True)
    day = owner.post(f"/my/resources/{shared['room']}", data={"closed_day": "not a day", "closed_note": "元旦"})
    assert day.status_code == 400 and 'id="closed_day-error"' in day.get_data(as_text=True)
    with factory() as s:
        room = s.get(Resource, shared["room"])
        assert room.name != "大会议室" and room.rules != "请提前一天申请，用后打扫" and room.capacity != 20000
    # a new one with an empty name: said beside 名称, the place chosen kept
    place = f"{shared['org1']}:{shared['ca']}"
    made = owner.post("/my/resources/new", data={"name": "\u200b\u200b", "kind": "equipment", "place": place})
    text = made.get_data(as_text=True)
    assert made.status_code == 400 and 'id="name-error"' in text
    assert 'value="equipment" selected' in text and f'value="{place}" selected' in text
