"""The admins' read models, derived from the workflows: what a person may start (the 发布 menu),
an admin's work queue, attendance; and the domain's 代办 (a demand started for a resident)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from flows import engine
from flows.core.refusals import Refused
from flows.engine import attendance, menu, queue
from flows.engine import hall as hall_reads
from flows.people import behalf, joining, orgs
from flows.people.actors import load_actor
from flows.workflow.compiler import compile_source
from schemas.settings import ROOT
from schemas.tables import (
    Demand,
    Event,
    Member,
    MemberRegistration,
    Role,
    RoleGrant,
    TaskCategory,
    TaskType,
    User,
)
from tests.flows.walker import Walker
from tests.world import NOW, build_world

WORKFLOWS = sorted(p.stem for p in (ROOT / "workflows").glob("*.yaml"))


@pytest.fixture
def world(factory):
    return build_world(factory)


def _compiled(name: str):
    return compile_source((ROOT / "workflows" / f"{name}.yaml").read_text("utf-8"), name)


def _actor(factory, world, name):
    with factory() as s:
        return load_actor(s, world[name])


# ---- derived from the workflows ----------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    # reject (→ rejected) and cancel leave, re-open goes back: none of them is work waiting
    ("micro_wish", {"review": {"publish"}}),
    ("joint_activity", {"draft": {"publish"}, "recruiting": {"begin"}, "running": {"finish"},
                        "finished": {"evaluate"}}),
    ("volunteer_item", {"open": {"settle"}}),
    ("appointment", {"booked": {"assign"}}),
    # the holder answers: its organisation from 我的资源, or the community's admins when the
    # community shares the resource itself (the queue shows them only those: _in_states)
    ("resource_request", {"requested": {"approve"}, "approved": {"confirm_use"}}),
])
def test_forward_admin_steps_of_every_shipped_workflow(name, expected):
    steps = queue.forward_admin_steps(_compiled(name))
    assert {state: set(s) for state, s in steps.items()} == expected


def test_every_shipped_workflow_is_covered():
    assert WORKFLOWS == ["appointment", "joint_activity", "micro_wish", "resource_request", "volunteer_item"]


@pytest.mark.parametrize("name, expected", [
    ("micro_wish", {}), ("joint_activity", {"running": {"sign_in", "sign_out"}}), ("volunteer_item", {}),
    ("appointment", {}),
])
def test_attendance_states(name, expected):
    assert {s: set(steps) for s, steps in attendance.attendance_states(_compiled(name)).items()} == expected


def test_distance_to_done_ignores_endings_that_are_not_done():
    distance = queue.distance_to_done(_compiled("micro_wish"))
    assert distance["done"] == 0 and distance["rated"] == 1 and distance["review"] == 5
    assert "rejected" not in distance and "cancelled" not in distance


# ---- the 发布 menu -------------------------------------------------------------------------

def _menu(factory, world, name):
    with factory() as s:
        return {(e.code, e.on_behalf): e for e in menu.startable(s, load_actor(s, world[name]))}


def test_menu_per_role(factory, world):
    admin = _menu(factory, world, "cadm_a")
    assert set(admin) == {("env_cleanup", False), ("volunteer", False), ("micro_wish", True)}
    assert admin[("micro_wish", True)].for_role == "resident"
    assert admin[("env_cleanup", False)].communities == ((world["ca"], "旭日社区"),)
    resident = _menu(factory, world, "res_a")
    assert set(resident) == {("micro_wish", False), ("appointment", False)}
    assert resident[("appointment", False)].booking and not resident[("micro_wish", False)].booking
    assert _menu(factory, world, "mem1") == {} and _menu(factory, world, "orgadm1") == {}
    city = _menu(factory, world, "cityadm")
    assert {c for c, _ in city[("env_cleanup", False)].communities} == {world["ca"], world["cb"]}
    assert ("micro_wish", False) not in city  # the city admin is not a resident: only 代办


def test_a_task_type_added_without_code_appears_for_its_district_only(factory, world):
    with factory() as s, s.begin():
        s.add(TaskType(code="garbage.d1", name="垃圾分类宣传", category=TaskCategory.ACTIVITY, default_points=12,
                       workflow_id="joint_activity", district_id=world["d1"]))
        s.add(TaskType(code="typo", name="写错的类型", category=TaskCategory.ACTIVITY, workflow_id="no_such_flow"))
    assert ("garbage.d1", False) in _menu(factory, world, "cadm_a")
    assert ("garbage.d1", False) not in _menu(factory, world, "cadm_b")
    assert not any(code == "typo" for code, _ in _menu(factory, world, "cityadm"))


# ---- 代办 through the engine -----------------------------------------------------------------

def test_start_on_behalf_keeps_the_resident_as_requester(factory, world):
    with factory() as s:
        outcome = engine.start(s, world["cadm_a"], world["tt_micro_wish"], {"title": "代张大爷修门"},
                               community_id=world["ca"], on_behalf_of=world["res_a"], now=NOW)
    with factory() as s:
        demand = s.get(Demand, outcome.demand_id)
        event = s.get(Event, outcome.event_id)
        assert demand.requester_id == world["res_a"] and demand.state == "review"
        assert event.actor_id == world["cadm_a"] and event.data["on_behalf_of"] == world["res_a"]
    walk = Walker(factory, world)
    walk.demand_id = outcome.demand_id
    for user, step, data in [("cadm_a", "publish", {}), ("mem1", "claim", {}), ("mem1", "serve", {"hours": 1, "note": "好"}),
                             ("res_a", "evaluate", {"rating": 5})]:
        walk.act(user, step, data)
    assert walk.state() == "done"  # the resident rated what was posted for them


@pytest.mark.parametrize("admin, person, community, code", [
    ("cadm_b", "res_a", "ca", "role"),     # not the admin of that community
    ("cadm_a", "mem1", "ca", "role"),      # the step names a resident
    ("cadm_a", "res_b", "ca", "scope"),    # a resident of another community
    ("res_a2", "res_a", "ca", "role"),     # a resident cannot act for another
])
def test_start_on_behalf_refusals(factory, world, admin, person, community, code):
    with factory() as s, pytest.raises(Refused) as refused:
        engine.start(s, world[admin], world["tt_micro_wish"], {"title": "x"}, community_id=world[community],
                     on_behalf_of=world[person], now=NOW)
    assert refused.value.code == code
    with factory() as s:
        assert s.scalar(select(Demand.id)) is None


def test_register_resident_once_per_form(factory, world):
    admin = _actor(factory, world, "cadm_a")
    with factory() as s:
        first = behalf.register_resident(s, admin, world["ca"], "张大爷", request_key="k1")
    with factory() as s:
        again = behalf.register_resident(s, admin, world["ca"], "张大爷", request_key="k1")
        other = behalf.register_resident(s, admin, world["ca"], "张大爷", phone="0458-1234567", request_key="k2")
    assert first.id == again.id != other.id
    with factory() as s, pytest.raises(Refused) as twice:  # another form, the same phone: one person twice
        behalf.register_resident(s, admin, world["ca"], "张大爷", phone="0458-1234567", request_key="k3")
    assert "张大爷" in twice.value.fields_in("zh")["phone"]
    with factory() as s:
        assert s.scalar(select(RoleGrant.region_id).where(RoleGrant.user_id == first.id,
                                                          RoleGrant.role == Role.RESIDENT)) == world["ca"]
        found = behalf.people(s, admin, "resident", [world["ca"]], q="张大")
        assert {p.user_id for p in found} == {first.id, other.id}
        assert behalf.person(s, _actor(factory, world, "cadm_b"), first.id, "resident") is None
        events = s.scalars(select(Event).where(Event.subject == "users", Event.subject_id == first.id)).all()
        assert [(e.step, e.actor_id) for e in events] == [("register_on_behalf", world["cadm_a"])]


@pytest.mark.parametrize("community, name, phone, password, field", [
    ("cb", "张大爷", None, None, "community_id"), ("ca", "", None, None, "display_name"),
    ("ca", "张大爷", "abc", None, "phone"), ("ca", "张大爷", None, "short", "password"),
])
def test_register_resident_refusals(factory, world, community, name, phone, password, field):
    admin = _actor(factory, world, "cadm_a")
    with factory() as s, pytest.raises(Refused) as refused:
        behalf.register_resident(s, admin, world[community], name, phone=phone, password=password, request_key="k")
    assert field in refused.value.fields
    with factory() as s:
        assert s.scalar(select(User.id).where(User.display_name == "张大爷")) is None


# ---- the queue ------------------------------------------------------------------------------

def _waiting(factory, world, name, **kw):
    with factory() as s:
        rows, total = queue.waiting(s, load_actor(s, world[name]), now=kw.pop("now", NOW), **kw)
        return [(r.demand.title, r.community, [t for _, t in r.steps], r.overdue) for r in rows], total


def test_queue_holds_what_waits_on_an_admin_across_their_communities(factory, world):
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "修灯"})
    Walker(factory, world).start("res_b", "micro_wish", {"title": "修门"}, community="cb")
    assert _waiting(factory, world, "cadm_a") == ([("修灯", "旭日社区", ["审核发布"], False)], 1)
    assert _waiting(factory, world, "cadm_b")[0] == [("修门", "站前社区", ["审核发布"], False)]
    assert _waiting(factory, world, "dadm1")[1] == 1
    assert _waiting(factory, world, "cityadm")[1] == 2
    assert _waiting(factory, world, "cityadm", community_id=world["cb"])[0][0][0] == "修门"
    assert _waiting(factory, world, "cadm_a", community_id=world["cb"]) == ([], 0)  # not theirs
    assert _waiting(factory, world, "cityadm", per_page=1, page=2)[0][0][0] == "修门"
    assert _waiting(factory, world, "cadm_a", now=NOW + timedelta(days=3))[0][0][3]  # past the 2-day SLA
    for name in ("mem1", "res_a", "orgadm1"):
        assert _waiting(factory, world, name) == ([], 0)
    walk.act("cadm_a", "publish")
    assert _waiting(factory, world, "cadm_a") == ([], 0)  # open: waiting on members now


def test_attendance_sheet_counts_and_on_behalf_sign_in(factory, world):
    walk = Walker(factory, world).recruiting_activity("助老", 3, NOW + timedelta(hours=1))
    walk.act("mem2", "sign_up")
    with factory() as s:
        assert queue.attendance(s, load_actor(s, world["cadm_a"]))[1] == 0  # recruiting: nobody signs in yet
    walk.act("cadm_a", "begin")
    with factory() as s:
        engine.act(s, world["cadm_a"], walk.demand_id, "sign_in", {}, on_behalf_of=world["mem2"], now=NOW)
    with factory() as s:
        sheets, total = queue.attendance(s, load_actor(s, world["cadm_a"]))
        assert total == 1 and (sheets[0].participants, sheets[0].signed_in, sheets[0].signed_out) == (2, 1, 0)
        people = {p.name: p for p in attendance.participants(s, walk.demand_id)}
        assert people["mem2"].signed_in_at is not None and people["mem1"].signed_in_at is None
        assert queue.attendance(s, load_actor(s, world["cadm_b"])) == ([], 0)


# ---- organisations --------------------------------------------------------------------------

def test_member_of_an_organisation_sees_what_it_grabbed_elsewhere(factory, world):
    walk = Walker(factory, world).recruiting_activity("联建植树", 5, NOW + timedelta(days=1))
    with factory() as s, s.begin():
        # a member of org2 living in another community, not reported in anywhere yet
        user = User(username="mem_far", display_name="mem_far", password_hash="x")
        user.grants = [RoleGrant(role=Role.MEMBER, region_id=world["cb"])]
        s.add(user)
        s.flush()
        s.add(Member(user_id=user.id, org_id=world["org2"]))
        far = user.id
    with factory() as s:
        assert "联建植树" not in [r.demand.title for r in hall_reads.hall(s, load_actor(s, far))]
        joining.ask(s, load_actor(s, far), world["org1"])
    with factory() as s:  # asked: not yet one of its own
        assert "联建植树" not in [r.demand.title for r in hall_reads.hall(s, load_actor(s, far))]
        joining.decide(s, load_actor(s, world["orgadm1"]), far, world["org1"], True)
    with factory() as s:
        assert "联建植树" in [r.demand.title for r in hall_reads.hall(s, load_actor(s, far))]
        assert s.get(Member, far).org_id == world["org1"]
        assert s.scalar(select(MemberRegistration.id).where(MemberRegistration.member_id == far)) is None
    with factory() as s:
        engine.act(s, far, walk.demand_id, "sign_up", {}, now=NOW)
    with factory() as s:
        assert s.get(Demand, walk.demand_id).taken == 2
        with pytest.raises(Refused):
            joining.ask(s, load_actor(s, far), 10**9)
        assert orgs.member_count(s, world["org1"]) == 5  # mem1, mem2, mem_pending, resmem and now mem_far


def test_hall_merges_the_organisations_demands_in_order_once(factory, world):
    Walker(factory, world).recruiting_activity("联建植树", 5, NOW + timedelta(days=1))  # org1's, in 旭日社区
    for title, starts in [("站前修灯", NOW + timedelta(days=2)), ("站前送药", None)]:
        walk = Walker(factory, world)
        walk.start("res_b", "micro_wish", {"title": title, **({"starts_at": starts.isoformat()} if starts else {})},
                   community="cb")
        walk.act("cadm_b", "publish")
    with factory() as s:
        joining.ask(s, load_actor(s, world["mem3"]), world["org1"])  # lives in 站前社区
    with factory() as s:
        joining.decide(s, load_actor(s, world["orgadm1"]), world["mem3"], world["org1"], True)
    with factory() as s:
        assert [r.demand.title for r in hall_reads.hall(s, load_actor(s, world["mem3"]))] == [
            "联建植树", "站前修灯", "站前送药"]
        assert [r.demand.title for r in hall_reads.hall(s, load_actor(s, world["mem3"]),
                                                        community_id=world["cb"])] == ["站前修灯", "站前送药"]
        assert [r.demand.title for r in hall_reads.hall(s, load_actor(s, world["mem1"]))] == ["联建植树"]  # once
