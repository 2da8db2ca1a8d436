"""The QR sign-in works only within the activity's time window, which the workflow states
(`guards: [in_time_window]`, optionally `window: {opens, closes}`)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from flows.core.refusals import Refused
from flows.workflow.compiler import compile_source
from schemas.clock import utcnow
from tests.flows.walker import Walker
from tests.world import NOW, build_world

START = NOW + timedelta(days=2)


@pytest.fixture
def world(factory):
    return build_world(factory)


@pytest.fixture
def running(factory, world):
    walk = Walker(factory, world).recruiting_activity("清雪", 5, START)  # two hours from START
    walk.act("mem2", "sign_up")
    walk.act("cadm_a", "begin", now=START - timedelta(hours=2))
    return walk


@pytest.mark.parametrize("offset, allowed", [
    (timedelta(hours=-1, minutes=-1), False),  # before the window opens
    (timedelta(hours=-1), True),               # it opens an hour before the start
    (timedelta(hours=2), True),                # the end is still in
    (timedelta(hours=2, minutes=1), False),
    (timedelta(days=12), False),               # twelve days late: the bug this closes
])
def test_sign_in_window(running, offset, allowed):
    if allowed:
        assert running.act("mem1", "sign_in", now=START + offset).step == "sign_in"
        return
    with pytest.raises(Refused) as refused:
        running.act("mem1", "sign_in", now=START + offset)
    assert refused.value.code == "guard.in_time_window"
    # the sentence names the window in Beijing time: the 02:00 UTC start is 10:00 there
    # (a refusal is read at once: 今天 / 明天 for the days near today, as the page says)
    here = START + timedelta(hours=8)
    near = {0: "今天", 1: "明天"}.get((here.date() - (utcnow() + timedelta(hours=8)).date()).days)
    day = near or (f"{here.month}月{here.day}日" if here.year == utcnow().year else f"{here.year}年{here.month}月{here.day}日")
    assert refused.value.message() == f"不在办理时间内：{day} 09:00 至 {day} 12:00 可以办理"


def test_sign_out_has_its_own_window(running):
    running.act("mem1", "sign_in", now=START)
    with pytest.raises(Refused):
        running.act("mem1", "sign_out", now=START + timedelta(hours=4, minutes=1))  # closes 2 h after the end
    assert running.act("mem1", "sign_out", now=START + timedelta(hours=3)).step == "sign_out"


def test_an_admin_confirming_for_a_participant_is_not_bound_by_the_window(factory, world, running):
    """The paper sheet read the next day: the admin vouches for the member."""
    from flows import engine

    with factory() as s:
        done = engine.act(s, world["cadm_a"], running.demand_id, "sign_in", {}, now=START + timedelta(days=1),
                          on_behalf_of=world["mem2"])
    assert done.step == "sign_in"


def test_the_window_is_checked_when_compiled():
    source = """
id: w
title: 测试
category: activity
states:
  open: {title: 开放}
  done: {title: 完成, terminal: true}
steps:
  create: {kind: start, title: 创建, by: community_admin, to: open,
           form: {starts_at: {type: datetime, title: 开始时间}}}
  finish: {title: 完成, by: community_admin, from: open, to: done, guards: [in_time_window],
           window: {opens: 30m, closes: 400d}}
"""
    with pytest.raises(Exception) as invalid:
        compile_source(source)
    assert "时间窗口必须在 0 到 366 天之间" in str(invalid.value)
    ok = compile_source(source.replace("400d", "1d"))
    step = ok.spec.steps["finish"]
    assert step.time_window.opens == timedelta(minutes=30) and step.time_window.closes == timedelta(days=1)
