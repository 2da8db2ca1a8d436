"""A demand's own time against the engine's clock (flows.engine.times): a time set is not in
the past, work that is over is not joined, and an admin vouching after the fact records the
activity's hours."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from flows import engine
from flows.core.moments import Moment
from flows.core.refusals import Refused
from flows.engine import hall as hall_reads
from flows.engine import visibility
from flows.engine.schedule import reschedule
from flows.people.actors import load_actor
from flows.workflow.compiler import compile_source
from schemas.clock import PAST_GRACE
from schemas.tables import Demand, Notification, ServiceRecord
from tests.flows.walker import Walker
from tests.world import NOW, build_world

START = NOW + timedelta(days=2)


@pytest.fixture
def world(factory):
    return build_world(factory)


def _activity(starts_at) -> dict:
    return {"title": "清雪", "description": "d", "place": "p", "capacity": 5, "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(hours=2)).isoformat()}


# ---- a time set is not in the past -------------------------------------------------------

@pytest.mark.parametrize("user, task_type, data", [
    ("res_a", "micro_wish", {"title": "修灯", "starts_at": (NOW - timedelta(days=1)).isoformat()}),
    ("cadm_a", "env_cleanup", _activity(NOW - timedelta(days=1))),
    ("cadm_a", "env_cleanup", {**_activity(NOW + timedelta(hours=1)), "ends_at": "2020-01-01T09:00:00+08:00"}),
])
def test_a_start_form_with_a_past_time_is_refused_beside_the_field(factory, world, user, task_type, data):
    with pytest.raises(Refused) as refused:
        Walker(factory, world).start(user, task_type, data)
    assert refused.value.code == "input"
    late = {k for k in ("starts_at", "ends_at") if k in data and data[k] < NOW.isoformat()}
    # an end before the start is first of all that: said so, naming the start (the order check)
    assert set(refused.value.fields) >= late and all(
        "已经过去" in str(refused.value.fields[k]) or "应晚于“开始时间”" in str(refused.value.fields[k]) for k in late)
    with factory() as s:
        assert s.scalar(select(Demand.id)) is None  # nothing written


@pytest.mark.parametrize("user, task_type, data, field", [
    ("res_a", "micro_wish", {"title": "修灯", "starts_at": "2099-01-01T09:00:00+08:00"}, "starts_at"),
    ("cadm_a", "env_cleanup", _activity(NOW + timedelta(days=400)), "starts_at"),
])
def test_a_time_more_than_a_year_ahead_is_a_slip_of_the_year(factory, world, user, task_type, data, field):
    with pytest.raises(Refused) as refused:
        Walker(factory, world).start(user, task_type, data)
    assert refused.value.code == "input" and "一年以内" in str(refused.value.fields[field])
    with factory() as s:
        assert s.scalar(select(Demand.id)) is None
    Walker(factory, world).start(user, task_type, {**data, "starts_at": (NOW + timedelta(days=300)).isoformat(),
                                                   **({"ends_at": (NOW + timedelta(days=300, hours=2)).isoformat()}
                                                      if "ends_at" in data else {})})
    walk = Walker(factory, world).recruiting_activity("清雪", 5, START)
    with factory() as s, pytest.raises(Refused) as moved:
        reschedule(s, world["cadm_a"], walk.demand_id, {"starts_at": "2099-12-05T09:00:00+08:00"}, now=NOW)
    assert "一年以内" in str(moved.value.fields["starts_at"])


def test_the_grace_forgives_a_slow_clock_and_the_engines_now_is_the_judge(factory, world):
    walk = Walker(factory, world)
    walk.start("cadm_a", "env_cleanup", _activity(NOW - PAST_GRACE + timedelta(minutes=1)))
    assert walk.state() == "draft"
    # an import that replays last year passes the engine its `now`: the same rule, then
    Walker(factory, world).start("cadm_a", "env_cleanup", _activity(NOW - timedelta(days=365)),
                                 now=NOW - timedelta(days=366))


def test_a_reschedule_to_the_past_is_refused(factory, world):
    walk = Walker(factory, world).recruiting_activity("清雪", 5, START)
    with factory() as s, pytest.raises(Refused) as refused:
        reschedule(s, world["cadm_a"], walk.demand_id, {"starts_at": "2019-12-05T09:00:00+08:00"}, now=NOW)
    assert refused.value.code == "input" and "starts_at" in refused.value.fields
    with factory() as s:
        assert s.get_one(Demand, walk.demand_id).starts_at == START
        moved = reschedule(s, world["cadm_a"], walk.demand_id, {"starts_at": (START + timedelta(days=1)).isoformat()},
                           now=NOW)
    assert moved.step == "reschedule"


# ---- an activity's end comes after its start, within the workflow's bound ---------------------

@pytest.mark.parametrize("length, zh, en", [
    (timedelta(0), "应晚于“开始时间”", "must be later than “Starts”"),
    (timedelta(days=365), "最多比“开始时间”晚 3 天", "at most 3 days after “Starts”"),
])
def test_an_end_at_the_start_or_past_the_workflows_bound_is_refused_beside_it(factory, world, length, zh, en):
    """joint_activity says `ends_at: {after: starts_at, within: 3d}`: an end typed a year late by
    mistake is refused in words naming the start field, in the reader's language."""
    with pytest.raises(Refused) as refused:
        Walker(factory, world).start("cadm_a", "env_cleanup", {**_activity(START), "ends_at": (START + length).isoformat()})
    assert refused.value.code == "input" and set(refused.value.field_messages) == {"ends_at"}
    assert zh in refused.value.fields["ends_at"] and en in refused.value.fields_in("en")["ends_at"]
    with factory() as s:
        assert s.scalar(select(Demand.id)) is None
    walk = Walker(factory, world)
    walk.start("cadm_a", "env_cleanup", {**_activity(START), "ends_at": (START + timedelta(days=3)).isoformat()})
    assert walk.state() == "draft"  # three days is the bound, not past it


def test_a_reschedule_tells_who_signed_up_and_the_organisation_the_old_time_and_the_new(factory, world):
    """Without it the members signed up came on the old day: their messages still said it."""
    walk = Walker(factory, world).recruiting_activity("清雪", 5, START)
    later = START + timedelta(days=1)
    with factory() as s:
        reschedule(s, world["cadm_a"], walk.demand_id, {"starts_at": later.isoformat()}, now=NOW)
    with factory() as s:
        told = s.scalars(select(Notification).where(Notification.demand_id == walk.demand_id,
                                                    Notification.kind == "reschedule:notify")).all()
        assert {n.user_id for n in told} == {world["mem1"], world["orgadm1"]}  # not the admin who moved it
        body = told[0].body
        assert told[0].title == "时间有变：清雪"
        assert Moment(START).render() in body and Moment(later).render() in body
        assert "has moved" in told[0].texts["en"][1]
    with factory() as s:  # the same time again moves nothing and tells nobody
        reschedule(s, world["cadm_a"], walk.demand_id, {"starts_at": later.isoformat()}, now=NOW)
        assert s.scalar(select(func.count()).select_from(Notification).where(
            Notification.kind == "reschedule:notify")) == 2


def test_a_reschedule_keeps_the_start_forms_bound(factory, world):
    walk = Walker(factory, world).recruiting_activity("清雪", 5, START)
    with factory() as s, pytest.raises(Refused) as refused:
        reschedule(s, world["cadm_a"], walk.demand_id, {"starts_at": START.isoformat(),
                                                        "ends_at": (START + timedelta(days=4)).isoformat()}, now=NOW)
    assert "最多比“开始时间”晚 3 天" in refused.value.fields["ends_at"]
    with factory() as s:
        assert s.get_one(Demand, walk.demand_id).ends_at == START + timedelta(hours=2)


# ---- work that is over is not joined -----------------------------------------------------

def test_signing_up_for_an_activity_that_is_over_is_refused_and_not_offered(factory, world):
    walk = Walker(factory, world).recruiting_activity("清雪", 5, START)
    over = START + timedelta(hours=2, minutes=1)
    with factory() as s:
        resident = load_actor(s, world["res_a"])
        demand = s.get_one(Demand, walk.demand_id)
        assert "volunteer" in [n for n, _ in visibility.available_steps(s, resident, demand, now=START)]
        assert "volunteer" not in [n for n, _ in visibility.available_steps(s, resident, demand, now=over)]
    with pytest.raises(Refused) as refused:
        walk.act("res_a", "volunteer", now=over)
    assert refused.value.code == "ended"
    assert walk.act("res_a", "volunteer", now=START).step == "volunteer"  # until its end, it may


def test_a_grab_of_an_open_activity_that_is_over_is_refused(factory, world):
    walk = Walker(factory, world)
    walk.start("cadm_a", "env_cleanup", _activity(START))
    walk.act("cadm_a", "publish")
    with pytest.raises(Refused) as refused:
        walk.act("orgadm1", "grab", now=START + timedelta(days=3))
    assert refused.value.code == "ended"


def test_the_hall_does_not_list_what_is_over(factory, world, monkeypatch):
    walk = Walker(factory, world)
    walk.start("cadm_a", "env_cleanup", _activity(START))
    walk.act("cadm_a", "publish")
    with factory() as s:
        resident = load_actor(s, world["res_a"])
        for parts in (hall_reads._PARTS_MAX, 0):  # the ranges, and the one sorted query
            monkeypatch.setattr(hall_reads, "_PARTS_MAX", parts)
            assert walk.demand_id in [r.demand.id for r in hall_reads.hall(s, resident, now=START)]
            assert walk.demand_id not in [r.demand.id for r in hall_reads.hall(s, resident, now=START + timedelta(
                hours=3))]


# ---- an admin vouching after the fact ----------------------------------------------------

@pytest.fixture
def running(factory, world):
    walk = Walker(factory, world).recruiting_activity("清雪", 5, START)  # two hours from START
    walk.act("mem2", "sign_up")
    walk.act("cadm_a", "begin", now=START - timedelta(hours=2))
    return walk


def _record(factory, demand_id, user_id) -> ServiceRecord:
    with factory() as s:
        return s.scalars(select(ServiceRecord).where(ServiceRecord.demand_id == demand_id,
                                                     ServiceRecord.user_id == user_id)).one()


def test_vouched_after_the_end_records_the_scheduled_times(factory, world, running):
    later = START + timedelta(days=3)
    for step in ("sign_in", "sign_out"):
        with factory() as s:
            engine.act(s, world["cadm_a"], running.demand_id, step, {}, now=later, on_behalf_of=world["mem2"])
    record = _record(factory, running.demand_id, world["mem2"])
    assert (record.signed_in_at, record.signed_out_at) == (START, START + timedelta(hours=2))
    assert float(record.hours) == 2


def test_vouched_sign_out_after_the_end_keeps_the_members_own_sign_in(factory, world, running):
    running.act("mem2", "sign_in", now=START + timedelta(minutes=30))
    with factory() as s:
        engine.act(s, world["cadm_a"], running.demand_id, "sign_out", {}, now=START + timedelta(days=1),
                   on_behalf_of=world["mem2"])
    assert float(_record(factory, running.demand_id, world["mem2"]).hours) == 1.5


def test_vouched_during_the_activity_records_now(factory, world, running):
    during = START + timedelta(minutes=20)
    with factory() as s:
        engine.act(s, world["cadm_a"], running.demand_id, "sign_in", {}, now=during, on_behalf_of=world["mem2"])
    assert _record(factory, running.demand_id, world["mem2"]).signed_in_at == during


# ---- the guard `after_start` -------------------------------------------------------------

def test_a_time_guard_on_a_workflow_without_a_time_is_refused_when_compiled():
    source = """
id: w
title: 测试
category: activity
states:
  open: {title: 开放}
  done: {title: 完成, terminal: true}
steps:
  create: {kind: start, title: 创建, by: community_admin, to: open}
  finish: {title: 完成, by: community_admin, from: open, to: done, guards: [after_start]}
"""
    with pytest.raises(Exception) as invalid:
        compile_source(source)
    assert "after_start" in str(invalid.value)
    timed = source.replace("to: open}", "to: open, form: {starts_at: {type: datetime, title: 开始时间}}}")
    assert compile_source(timed).spec.steps["finish"].guards == ["after_start"]


def test_a_running_activity_may_still_be_extended(factory, world, running):
    """Only a time that changes must not be past: the start that has come stays, the end moves."""
    with factory() as s:
        moved = reschedule(s, world["cadm_a"], running.demand_id, {
            "starts_at": START.isoformat(), "ends_at": (START + timedelta(hours=3)).isoformat()},
            now=START + timedelta(hours=1))
    assert moved.step == "reschedule"
    with factory() as s:
        assert s.get_one(Demand, running.demand_id).ends_at == START + timedelta(hours=3)


def test_nobody_vouches_for_their_own_attendance(factory, world, running):
    with factory() as s, pytest.raises(Refused) as refused:
        engine.act(s, world["cadm_a"], running.demand_id, "sign_in", {}, now=START + timedelta(days=3),
                   on_behalf_of=world["cadm_a"])
    assert refused.value.code == "role"


def test_a_start_form_sent_again_after_its_time_is_answered_not_refused(factory, world):
    """The back button and 发布 again, minutes later, when the time set has just passed: the
    first answer ("已提交过"), not "this time is over"."""
    data = _activity(NOW - timedelta(minutes=5))  # within the grace when first sent
    with factory() as s:
        first = engine.start(s, world["cadm_a"], world["tt_env_cleanup"], data, community_id=world["ca"], now=NOW,
                             request_key="k-late")
    with factory() as s:
        again = engine.start(s, world["cadm_a"], world["tt_env_cleanup"], data, community_id=world["ca"],
                             now=NOW + timedelta(minutes=8), request_key="k-late-2")  # 13 minutes past by then
    assert again.demand_id == first.demand_id


# ---- the walk's findings: who signs in, and when an activity may begin ------------------

def test_begin_opens_a_day_before_the_start_and_a_begun_activity_can_still_be_cancelled(factory, world):
    """开始活动 four days early closed sign-ups, put 结束活动's deadline before the activity and
    left no 取消活动 (the walk found it): it now opens a day before the start, and a running
    activity can still be cancelled."""
    walk = Walker(factory, world).recruiting_activity("义诊", 5, START)
    with pytest.raises(Refused) as early:
        walk.act("cadm_a", "begin", now=START - timedelta(days=1, minutes=1))
    assert early.value.code == "guard.in_time_window"
    with factory() as s:
        later = {n: r.code for n, _, r in visibility.steps_now_and_later(
            s, load_actor(s, world["cadm_a"]), s.get_one(Demand, walk.demand_id), now=NOW)[1]}
    assert later == {"begin": "guard.in_time_window"}  # named on the page, with when
    walk.act("cadm_a", "begin", now=START - timedelta(days=1))
    assert walk.act("cadm_a", "cancel", now=START - timedelta(hours=20)).to_state == "cancelled"


def test_a_begin_forgotten_until_after_the_end_may_still_be_tapped_and_the_activity_settled(factory, world):
    """Nobody tapped 开始活动 before the activity ended: it may still be begun (within 30 days of
    the end), finished and paid; otherwise only 取消活动 was left (the review)."""
    walk = Walker(factory, world).recruiting_activity("义诊", 5, START)
    end = START + timedelta(hours=2)
    walk.act("cadm_a", "begin", now=end + timedelta(days=3))
    assert walk.act("cadm_a", "finish", now=end + timedelta(days=3, minutes=5)).to_state not in ("recruiting", "running")
    late = Walker(factory, world).recruiting_activity("义诊二", 5, START + timedelta(days=1))
    end = START + timedelta(days=1, hours=2)
    with pytest.raises(Refused) as refused:
        late.act("cadm_a", "begin", now=end + timedelta(days=31))
    assert refused.value.code == "guard.in_time_window"


def test_the_grabbing_organisations_admin_holds_no_place_to_sign_in_with(factory, world, running):
    """The organisation's grab is not a place: its admin signing in at the door was recorded as a
    participant. Refused, and not offered."""
    with pytest.raises(Refused) as refused:
        running.act("orgadm1", "sign_in", now=START)
    assert refused.value.code == "no_claim"
    with factory() as s:
        offered = [n for n, _ in visibility.available_steps(s, load_actor(s, world["orgadm1"]),
                                                            s.get_one(Demand, running.demand_id), now=START)]
    assert "sign_in" not in offered and "sign_out" not in offered


def test_sign_in_is_offered_until_done_then_sign_out_until_done(factory, world, running):
    def offered(now):
        with factory() as s:
            return {n for n, _ in visibility.available_steps(s, load_actor(s, world["mem2"]),
                                                             s.get_one(Demand, running.demand_id), now=now)}

    assert "sign_in" in offered(START) and "sign_out" not in offered(START)  # 签退 comes after 签到
    running.act("mem2", "sign_in", now=START)
    assert "sign_in" not in offered(START) and "sign_out" in offered(START)
    running.act("mem2", "sign_out", now=START + timedelta(hours=1))
    assert not {"sign_in", "sign_out"} & offered(START + timedelta(hours=1))


def test_vouched_sign_in_before_the_window_opens_is_refused(factory, world, running):
    """The sheet is read after the event (its end does not bind), but nobody came before the
    sign-in window opened: the walk confirmed one at 05:45 for a 07:30 start."""
    with factory() as s, pytest.raises(Refused) as early:
        engine.act(s, world["cadm_a"], running.demand_id, "sign_in", {}, now=START - timedelta(hours=2),
                   on_behalf_of=world["mem2"])
    assert early.value.code == "guard.after_start"
    with factory() as s:
        engine.act(s, world["cadm_a"], running.demand_id, "sign_in", {}, now=START - timedelta(minutes=30),
                   on_behalf_of=world["mem2"])
    assert _record(factory, running.demand_id, world["mem2"]).signed_in_at is not None


def test_a_finished_activitys_sheet_still_lists_who_came(factory, world, running):
    """The walk opened a done activity's 确认出勤 and read 还没有人报名 under two who came."""
    from flows.engine import attendance

    running.act("mem2", "sign_in", now=START)
    running.act("mem2", "sign_out", now=START + timedelta(hours=2))
    running.act("cadm_a", "finish", now=START + timedelta(hours=2))
    running.act("cadm_a", "evaluate", {"rating": 5}, now=START + timedelta(hours=3))
    assert running.state() == "done"
    with factory() as s:
        people = {p.name: p.signed_in_at is not None for p in attendance.participants(s, running.demand_id)}
    assert people == {"mem1": False, "mem2": True}
