"""Every kind of refusal the engine gives, each with nothing written."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from flows import engine
from flows.core.refusals import Refused
from schemas.tables import Demand, Event
from tests.flows.walker import Walker
from tests.world import NOW, build_world


@pytest.fixture
def world(factory):
    return build_world(factory)


def _wish(factory, world, requester="res_a", to="open"):
    walk = Walker(factory, world)
    walk.start(requester, "micro_wish", {"title": "修水龙头"})
    if to in ("open", "claimed"):
        walk.act("cadm_a", "publish")
    if to == "claimed":
        walk.act("mem1", "claim")
    return walk


def _refused(factory, world, walk, user, step, data=None):
    with factory() as s:
        before = s.scalar(select(func.count()).select_from(Event))
        rev = s.get(Demand, walk.demand_id).rev
    with factory() as s, pytest.raises(Refused) as exc:
        engine.act(s, world[user], walk.demand_id, step, data or {}, now=NOW)
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Event)) == before, "a refusal wrote an event"
        assert s.get(Demand, walk.demand_id).rev == rev, "a refusal changed the demand"
    return exc.value


@pytest.mark.parametrize("user, step, stage, code", [
    ("res_a", "publish", "review", "role"),                 # a resident cannot publish
    ("mem1", "publish", "review", "role"),
    ("cadm_b", "publish", "review", "scope"),              # another community's admin
    ("orgadm1", "publish", "review", "role"),
    ("res_a2", "cancel", "review", "role"),                # only the requester may withdraw
    ("cadm_a", "publish", "open", "state"),                # published twice
    ("mem1", "serve", "open", "no_claim"),                 # serve before claiming
    ("mem2", "serve", "claimed", "no_claim"),              # someone else's claim
    ("mem2", "claim", "claimed", "taken"),                 # one winner
    ("mem1", "claim", "claimed", "taken.by_you"),          # the winner's stale second tab: not "taken"
    ("mem1", "claim", "review", "state"),                  # not published yet: not "already claimed"
    ("res_a2", "evaluate", "claimed", "role"),             # not the requester
    ("res_a", "evaluate", "claimed", "state"),             # too early
    ("mem_pending", "claim", "open", "guard.registered_in_community"),
    ("mem3", "claim", "open", "guard.registered_in_community"),  # registered elsewhere
    ("mem1", "award", "open", "not_human"),
    ("mem1", "fly", "open", "no_step"),
])
def test_refusals(factory, world, user, step, stage, code):
    walk = _wish(factory, world, to=stage)
    refusal = _refused(factory, world, walk, user, step)
    assert refusal.code == code
    assert refusal.message("zh") and refusal.message("en")


def test_a_second_grab_by_the_winning_organisation_says_it_is_already_theirs(factory, world):
    walk = Walker(factory, world).recruiting_activity("义诊", 5, NOW + timedelta(days=3))
    refusal = _refused(factory, world, walk, "orgadm1", "grab")
    assert refusal.code == "taken.by_your_org" and refusal.message("zh") == "您的组织已经抢到了，不用再抢"


def test_not_requester_guard(factory, world):
    walk = _wish(factory, world, requester="resmem")
    assert _refused(factory, world, walk, "resmem", "claim").code == "guard.not_requester"


def test_higher_admins_act_in_their_scope(factory, world):
    walk = _wish(factory, world, to="review")
    assert walk.act("dadm1", "publish").to_state == "open"
    other = _wish(factory, world, to="review")
    assert other.act("cityadm", "reject", {"reason": "重复发布"}).to_state == "rejected"


@pytest.mark.parametrize("data, field, text", [
    ({"hours": 100, "note": "x"}, "hours", "不能大于 12"),
    ({"hours": "两小时", "note": "x"}, "hours", "应为数字"),
    ({"hours": 2}, "note", "缺少必填项"),
    ({"hours": 2, "note": "\u200b\u2060 \ufeff"}, "note", "缺少必填项"),  # invisible: as good as empty
    ({"hours": 2, "note": "x", "bonus": 99}, "bonus", "不认识的字段"),
    ({"hours": 2, "note": "x", "photo": "../../etc/passwd"}, "photo", "请上传图片"),
])
def test_bad_input_names_the_field(factory, world, data, field, text):
    walk = _wish(factory, world, to="claimed")
    refusal = _refused(factory, world, walk, "mem1", "serve", data)
    assert refusal.code == "input"
    assert text in refusal.fields[field]


def test_time_clash_guard(factory, world):
    start = NOW + timedelta(days=3)
    window = {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()}
    walks = []
    for title in ("清雪", "植树"):
        walk = Walker(factory, world)
        walk.start("cadm_a", "env_cleanup", {"title": title, "description": "d", "place": "p", "capacity": 5, **window})
        walk.act("cadm_a", "publish")
        walk.act("orgadm1", "grab")
        walks.append(walk)
    walks[0].act("mem1", "sign_up")
    refusal = _refused(factory, world, walks[1], "mem1", "sign_up")
    assert refusal.code == "guard.no_time_clash" and "清雪" in refusal.message()


def test_only_the_grabbing_orgs_members_sign_up(factory, world):
    walk = Walker(factory, world)
    start = NOW + timedelta(days=4)
    walk.start("cadm_a", "env_cleanup", {"title": "义诊", "description": "d", "place": "p", "capacity": 5,
                                         "starts_at": start.isoformat(),
                                         "ends_at": (start + timedelta(hours=1)).isoformat()})
    walk.act("cadm_a", "publish")
    assert _refused(factory, world, walk, "orgadm2", "grab").code == "scope"  # org2 is not registered here
    walk.act("orgadm1", "grab")
    assert _refused(factory, world, walk, "mem3", "sign_up").code == "role"  # org2's member


def test_start_refusals(factory, world):
    with factory() as s, pytest.raises(Refused) as exc:
        engine.start(s, world["res_b"], world["tt_micro_wish"], {"title": "x"}, community_id=world["ca"], now=NOW)
    assert exc.value.code == "scope"
    with factory() as s, pytest.raises(Refused) as exc:
        engine.start(s, world["res_a"], world["tt_micro_wish"], {"title": ""}, community_id=world["ca"], now=NOW)
    assert exc.value.code == "input" and "title" in exc.value.fields
    with factory() as s, pytest.raises(Refused) as exc:
        engine.start(s, world["mem1"], world["tt_micro_wish"], {"title": "x"}, community_id=world["ca"], now=NOW)
    assert exc.value.code == "role"
    with factory() as s, pytest.raises(Refused) as exc:
        engine.start(s, world["res_a"], world["tt_micro_wish"], {"title": "x"}, community_id=world["s1"], now=NOW)
    assert exc.value.code == "community"
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Demand)) == 0


def test_not_found(factory, world):
    with factory() as s, pytest.raises(Refused) as exc:
        engine.act(s, world["mem1"], 999, "claim", {})
    assert exc.value.code == "not_found"


def test_on_behalf_only_by_the_communitys_admin_and_only_for_claimant_steps(factory, world):
    walk = _wish(factory, world, to="claimed")
    for user, step in [("mem2", "serve"), ("cadm_b", "serve"), ("cadm_a", "cancel")]:
        with factory() as s, pytest.raises(Refused) as exc:
            engine.act(s, world[user], walk.demand_id, step, {"hours": 1, "note": "x"}, on_behalf_of=world["mem1"], now=NOW)
        assert exc.value.code == "role", (user, step)
    with factory() as s:
        done = engine.act(s, world["cadm_a"], walk.demand_id, "serve", {"hours": 1, "note": "代为登记"},
                          on_behalf_of=world["mem1"], now=NOW)
    assert done.to_state == "served"


def test_every_record_word_has_one_writer():
    """The DSL's closed `record:` vocabulary and the engine's writers are the same set (a
    `booking` is taken by the start step itself, before the demand exists)."""
    from typing import get_args

    from flows.engine.records import WRITERS
    from schemas.workflow import Record

    assert set(WRITERS) | {"booking"} == set(get_args(Record))


def test_a_title_keeps_only_what_can_be_seen(factory, world):
    """A title of zero-width spaces showed as an empty card; one wrapped in them, with stray
    marks, shows as typed."""
    with pytest.raises(Refused) as refused:
        Walker(factory, world).start("res_a", "micro_wish", {"title": "\u200b\u200b"})
    assert refused.value.code == "input" and "title" in refused.value.fields
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "\u200b修\u200b灯\u202e", "description": "楼道\n三楼"})
    with factory() as s:
        demand = s.get_one(Demand, walk.demand_id)
        assert (demand.title, demand.description) == ("修灯", "楼道\n三楼")
