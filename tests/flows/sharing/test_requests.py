"""A resource request walked through the engine: booked, approved by the owner, used, rated,
and the owner's organisation credited; declined and cancelled requests free their time."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from flows import engine
from flows.core.refusals import Refused
from flows.engine.resource_requests import activities_for
from flows.people.actors import load_actor
from flows.points import ledger
from schemas.clock import utcnow
from schemas.tables import Demand, Notification, Resource, ResourceBooking, ResourceBookingStatus
from tests.flows.sharing.shared import add_community_room, add_sharing, local, request
from tests.world import build_world


@pytest.fixture
def world(factory):
    return add_sharing(factory, build_world(factory))


def _start(factory, world, user, start, end, resource="room", **extra):
    with factory() as s:
        return engine.start(s, world[user], world["tt_resource"], request(start, end, **extra),
                            resource_id=world[resource], now=local(1, 9))


def test_request_to_points_for_the_owner(factory, world):
    done = _start(factory, world, "cadm_a", local(3, 14), local(3, 16))
    assert done.to_state == "requested"
    with factory() as s:
        demand = s.get(Demand, done.demand_id)
        assert (demand.org_id, demand.community_id, demand.place) == (world["org1"], world["ca"], "财政局三楼会议室")
        # the owner's admins hear of it in the request's own transaction
        told = s.scalars(select(Notification).where(Notification.demand_id == done.demand_id)).all()
        assert [(n.user_id, n.kind, n.title) for n in told] == [
            (world["orgadm1"], "request:notify", "有新的资源申请：" + demand.title)]
    for user, step, data in [("orgadm1", "approve", {}), ("orgadm1", "confirm_use", {}),
                             ("cadm_a", "evaluate", {"rating": 5})]:
        with factory() as s:
            engine.act(s, world[user], done.demand_id, step, data, now=local(3, 17), auto=True)
    with factory() as s:
        assert s.get(Demand, done.demand_id).state == "done"
        account = ledger.org_account(s, world["org1"])
        assert int(account.balance) == 7  # 6 points × 1.2 for five stars, half up


def test_a_used_resource_counts_as_sharing_not_as_an_appointment(factory, world):
    """Filed under the appointment category, done requests were counted in 预约服务 (85 where 29
    bookings were done, the walk): they are 资源共享, and the recount from the sources agrees."""
    from flows.engine import figures
    from flows.reporting import stats

    done = _start(factory, world, "cadm_a", local(3, 14), local(3, 16))
    for user, step, data in [("orgadm1", "approve", {}), ("orgadm1", "confirm_use", {}),
                             ("cadm_a", "evaluate", {"rating": 5})]:
        with factory() as s:
            engine.act(s, world[user], done.demand_id, step, data, now=local(3, 17), auto=True)
    with factory() as s:
        got = stats.figures(s, [world["ca"]])
        assert (got["resources"], got["appointments"]) == (1, 0)
        assert figures.check(s) == []


def test_only_the_owner_approves(factory, world):
    done = _start(factory, world, "res_a", local(3, 10), local(3, 11))
    for stranger in ("orgadm2", "res_a", "mem1", "cadm_a"):  # the community's admins only when it has no org
        with factory() as s, pytest.raises(Refused):
            engine.act(s, world[stranger], done.demand_id, "approve", {}, now=local(1, 10))


def test_a_community_shares_a_room_itself_and_its_admins_answer(factory, world):
    """No organisation holds it: the community's admins hear of the request, see it in 待办,
    approve it and confirm its use; no organisation earns points; another community's admin
    and the organisations' admins may not answer."""
    from flows.engine import queue
    from flows.people.actors import load_actor
    from flows.sharing import resources

    add_community_room(factory, world)
    done = _start(factory, world, "res_a", local(3, 14), local(3, 16), resource="hall")
    with factory() as s:
        demand = s.get(Demand, done.demand_id)
        assert demand.org_id is None
        told = {n.user_id for n in s.scalars(select(Notification).where(Notification.demand_id == done.demand_id))}
        assert told == {world["cadm_a"]}  # the community's admin, not the district's or any org's
        waiting, _ = queue.waiting(s, load_actor(s, world["cadm_a"]))
        assert [(w.demand.id, [n for n, _ in w.steps]) for w in waiting] == [(done.demand_id, ["approve"])]
        assert queue.waiting(s, load_actor(s, world["cadm_b"]))[0] == []
        assert [r.name for r in resources.owned(s, load_actor(s, world["cadm_a"]))] == ["社区活动室"]
        assert resources.owned(s, load_actor(s, world["orgadm1"]))[0].name != "社区活动室"
    for stranger in ("orgadm1", "cadm_b", "res_a"):
        with factory() as s, pytest.raises(Refused):
            engine.act(s, world[stranger], done.demand_id, "approve", {}, now=local(1, 10))
    for user, step, data in [("cadm_a", "approve", {}), ("cadm_a", "confirm_use", {}),
                             ("res_a", "evaluate", {"rating": 5})]:
        with factory() as s:
            engine.act(s, world[user], done.demand_id, step, data, now=local(3, 17), auto=True)
    with factory() as s:
        assert s.get(Demand, done.demand_id).state == "done"
        assert ledger.check(s) == []


def test_overlap_refused_and_touching_allowed(factory, world):
    _start(factory, world, "res_a", local(3, 10), local(3, 12))
    with pytest.raises(Refused) as exc:
        _start(factory, world, "cadm_a", local(3, 11), local(3, 13))
    assert exc.value.code == "resource.taken"
    with pytest.raises(Refused):
        _start(factory, world, "cadm_a", local(3, 9), local(3, 16))  # around it
    _start(factory, world, "cadm_a", local(3, 12), local(3, 13))  # starts as the other ends
    _start(factory, world, "orgadm2", local(3, 11), local(3, 13), resource="projector")  # another resource


def test_declined_and_cancelled_free_the_time(factory, world):
    first = _start(factory, world, "res_a", local(3, 10), local(3, 12))
    with factory() as s:
        engine.act(s, world["orgadm1"], first.demand_id, "decline", {"reason": "当天有会"}, now=local(1, 10))
    second = _start(factory, world, "cadm_a", local(3, 10), local(3, 12))
    with factory() as s:
        engine.act(s, world["cadm_a"], second.demand_id, "cancel", {}, now=local(1, 10))
    _start(factory, world, "res_a2", local(3, 10), local(3, 12))
    with factory() as s:
        statuses = list(s.scalars(select(ResourceBooking.status).order_by(ResourceBooking.id)))
    assert statuses == [ResourceBookingStatus.RELEASED, ResourceBookingStatus.RELEASED, ResourceBookingStatus.HELD]


@pytest.mark.parametrize(("start", "end", "code"), [
    (local(2, 10), local(2, 11), "resource.closed_day"),     # the Wednesday closed for repairs
    (local(5, 10), local(5, 11), "resource.outside_hours"),  # a Saturday
    (local(3, 8), local(3, 10), "resource.outside_hours"),   # before opening
    (local(3, 16), local(3, 18), "resource.outside_hours"),  # past closing
    (local(3, 11), local(3, 10), "resource.times"),
    (local(1, 8), local(1, 9), "resource.past"),
])
def test_availability_rules(factory, world, start, end, code):
    with pytest.raises(Refused) as exc:
        _start(factory, world, "res_a", start, end)
    assert exc.value.code == code
    with factory() as s:
        assert s.scalar(select(Demand.id)) is None


def _reading_club(factory, world) -> int:
    """An activity of 旭日社区 published by its admin, day 3 10:00–12:00: what requests are for."""
    with factory() as s:
        form = {"title": "读书会", "description": "d", "place": "p", "capacity": 20,
                "starts_at": local(3, 10).isoformat(), "ends_at": local(3, 12).isoformat()}
        return engine.start(s, world["cadm_a"], world["tt_env_cleanup"], form, community_id=world["ca"],
                            now=local(1, 9)).demand_id


def test_for_an_activity_of_the_community(factory, world):
    activity = _reading_club(factory, world)
    _start(factory, world, "cadm_a", local(3, 10), local(3, 12), for_demand=activity)
    with factory() as s:
        assert s.scalar(select(ResourceBooking.for_demand_id)) == activity
    with pytest.raises(Refused) as exc:
        _start(factory, world, "cadm_b", local(3, 13), local(3, 14), for_demand=activity, resource="projector")
    assert exc.value.code == "resource.for_demand"
    with pytest.raises(Refused) as exc:  # a resident cannot tie a request to an activity they do not organise
        _start(factory, world, "res_a", local(3, 13), local(3, 14), for_demand=activity)
    assert exc.value.code == "resource.for_demand"


def test_the_request_form_offers_only_the_activities_the_person_organises(factory, world):
    activity = _reading_club(factory, world)
    with factory() as s:
        room = s.scalar(select(Resource).where(Resource.community_id == world["ca"]).order_by(Resource.id))
        assert [d.id for d in activities_for(s, load_actor(s, world["cadm_a"]), room, local(1, 9))] == [activity]
        assert activities_for(s, load_actor(s, world["res_a"]), room, local(1, 9)) == []
        assert activities_for(s, load_actor(s, world["cadm_a"]), room, local(3, 13)) == []  # over


def test_no_resource_no_request(factory, world):
    with factory() as s, pytest.raises(Refused):
        engine.start(s, world["res_a"], world["tt_resource"], request(local(3, 10), local(3, 11)),
                     community_id=world["ca"], now=local(1, 9))


def test_a_requests_time_is_the_range_it_holds_and_is_not_moved(factory, world):
    """改期 would move the demand's time and leave the held range behind (a second request could
    then take the time the first is using): a resource request is not rescheduled."""
    from flows.engine import schedule
    from flows.people.actors import load_actor

    done = _start(factory, world, "cadm_a", local(3, 14), local(3, 16))
    with factory() as s, pytest.raises(Refused) as refused:
        schedule.check(s, load_actor(s, world["cadm_a"]), s.get(Demand, done.demand_id))
    assert refused.value.code == "role"


def test_use_is_confirmed_only_once_the_booked_time_has_started(factory, world):
    """确认已使用 days early would credit the owner for a use that has not happened: the
    workflow's `guards: [after_start]` refuses it, and the step is not offered until then."""
    from flows.engine import visibility
    from flows.people.actors import load_actor

    done = _start(factory, world, "cadm_a", local(3, 14), local(3, 16))
    with factory() as s:
        engine.act(s, world["orgadm1"], done.demand_id, "approve", {}, now=local(1, 10))
    with factory() as s:
        owner, demand = load_actor(s, world["orgadm1"]), s.get_one(Demand, done.demand_id)
        assert "confirm_use" not in [n for n, _ in visibility.available_steps(s, owner, demand, now=local(1, 11))]
        assert "confirm_use" in [n for n, _ in visibility.available_steps(s, owner, demand, now=local(3, 14))]
    with factory() as s, pytest.raises(Refused) as refused:
        engine.act(s, world["orgadm1"], done.demand_id, "confirm_use", {}, now=local(3, 13, 59))
    assert refused.value.code == "guard.after_start"
    # the time as pages write it, in Beijing time (the year only when it is not this year's)
    day = "12月3日" if utcnow().year == 2026 else "2026年12月3日"
    assert refused.value.message() == f"还没到时间：{day} 14:00 开始后才能办理"
    with factory() as s:
        assert engine.act(s, world["orgadm1"], done.demand_id, "confirm_use", {}, now=local(3, 14)).to_state == "used"


def test_outside_hours_names_the_day_once(factory, world):
    """It read 所选时间不在开放时间内（周一：周一 08:00-20:00）: the day once, its hours after it, in
    the reader's language."""
    with pytest.raises(Refused) as before_opening:
        _start(factory, world, "res_a", local(3, 8), local(3, 10))
    said = before_opening.value.message("zh")
    assert said.count("周") == 1 and "开放时间内（周" in said and re.search(r"：\d\d:\d\d-\d\d:\d\d）$", said), said
    english = before_opening.value.message("en")
    assert "周" not in english and re.search(r"\((Mon|Tue|Wed|Thu|Fri|Sat|Sun): \d\d:\d\d-\d\d:\d\d\)$", english)
    with pytest.raises(Refused) as saturday:
        _start(factory, world, "res_a", local(5, 10), local(5, 11))
    assert saturday.value.message("zh") == "所选时间不在开放时间内（周六：不开放）"
    assert saturday.value.message("en").endswith("(Sat: closed)")
