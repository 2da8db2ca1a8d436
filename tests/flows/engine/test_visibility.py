"""Who may see a demand is read from its workflow: private until someone beyond the admins and
the people involved may act, for every shipped workflow and any new one."""
from __future__ import annotations

from datetime import timedelta

import pytest

from flows.engine import visibility
from flows.people.actors import load_actor
from flows.workflow import registry
from flows.workflow.compiler import compile_source
from schemas.settings import ROOT
from schemas.tables import Demand
from tests.flows.walker import Walker
from tests.world import NOW, build_world

# Per shipped workflow: (private, public, either) states.
EXPECTED = {
    "micro_wish": ({"review", "rejected"}, {"open", "claimed", "served", "rated", "done"}, {"cancelled"}),
    "joint_activity": ({"draft"}, {"open", "recruiting", "running", "finished", "rated", "done"}, {"cancelled"}),
    "volunteer_item": (set(), {"open", "settling", "done", "cancelled"}, set()),
    # a booking stays between the resident, the admins and the member assigned to it
    "appointment": ({"booked", "assigned", "served", "rated", "done", "cancelled"}, set(), set()),
}


@pytest.mark.parametrize("workflow_id", sorted(EXPECTED))
def test_privacy_of_every_shipped_workflow(workflow_id):
    workflow = compile_source((ROOT / "workflows" / f"{workflow_id}.yaml").read_text("utf-8"))
    states = visibility.privacy(workflow)
    private, public, either = EXPECTED[workflow_id]
    assert (set(states.private), set(states.public), set(states.either)) == (private, public, either)
    assert set(states.private) | set(states.public) | set(states.either) == set(workflow.spec.states)


def test_a_new_workflow_is_read_the_same_way():
    """No state name is known to the code: a workflow with its own words gets the same rule."""
    source = """
id: street_repair
title: 街巷修缮
category: urgent
states:
  waiting:  {title: 待受理}
  posted:   {title: 招募中}
  finished: {title: 已完成, terminal: true}
steps:
  report: {kind: start, title: 上报, by: resident, to: waiting}
  accept: {title: 受理, by: community_admin, from: waiting, to: posted}
  take:   {title: 接单, by: registered_member, from: posted, to: finished}
"""
    states = visibility.privacy(compile_source(source))
    assert states.private == {"waiting"} and states.public == {"posted", "finished"}


@pytest.fixture
def world(factory):
    return build_world(factory)


def _sees(factory, user, world, demand_id) -> bool:
    with factory() as s:
        return visibility.visible_demand(s, load_actor(s, world[user]), demand_id) is not None


def test_a_volunteer_item_is_open_to_the_community_at_once(factory, world):
    """It used to be a 404 for members: its first state was taken for a review."""
    walk = Walker(factory, world)
    walk.start("cadm_a", "volunteer", {"title": "每周探访", "description": "上门探访", "capacity": 3})
    assert _sees(factory, "mem1", world, walk.demand_id) and _sees(factory, "res_a", world, walk.demand_id)
    assert not _sees(factory, "mem3", world, walk.demand_id)  # another community


def test_a_wish_withdrawn_under_review_stays_private_and_one_withdrawn_later_does_not(factory, world):
    early = Walker(factory, world)
    early.start("res_a", "micro_wish", {"title": "审核中撤回"})
    assert not _sees(factory, "mem1", world, early.demand_id)
    early.act("res_a", "cancel")
    assert not _sees(factory, "mem1", world, early.demand_id) and _sees(factory, "res_a", world, early.demand_id)
    late = Walker(factory, world)
    late.start("res_a", "micro_wish", {"title": "发布后撤回"})
    late.act("cadm_a", "publish")
    late.act("res_a", "cancel")
    assert _sees(factory, "mem1", world, late.demand_id)


def test_an_appointment_is_seen_by_its_people_only_even_when_done(factory, world):
    walk = Walker(factory, world)
    walk.start("res_a", "appointment", {"title": "理发"}, slot=world["slot"])
    walk.act("cadm_a", "assign", {"assignee": world["mem1"]})
    walk.act("mem1", "serve", {"hours": 1}, now=NOW + timedelta(days=1, hours=1))  # in the booked time
    walk.act("res_a", "evaluate", {"rating": 5}, now=NOW + timedelta(days=1, hours=2))
    assert walk.state() == "done"
    assert _sees(factory, "mem1", world, walk.demand_id)  # took part: the claim is done, not gone
    assert not _sees(factory, "mem2", world, walk.demand_id) and not _sees(factory, "res_a2", world, walk.demand_id)
    assert _sees(factory, "cadm_a", world, walk.demand_id) and not _sees(factory, "cadm_b", world, walk.demand_id)


def test_a_cancelled_activity_stays_visible_to_who_signed_up(factory, world):
    walk = Walker(factory, world).recruiting_activity("取消的活动", 3, NOW + timedelta(days=3))
    walk.act("cadm_a", "cancel")
    with factory() as s:
        assert s.get(Demand, walk.demand_id).state == "cancelled"
    assert _sees(factory, "mem1", world, walk.demand_id) and _sees(factory, "orgadm1", world, walk.demand_id)


def test_published_versions_are_read_from_the_database(factory, world):
    """The rule runs on the version a demand is pinned to (from the registry, not the files)."""
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "版本"})
    with factory() as s:
        demand = s.get(Demand, walk.demand_id)
        workflow = registry.load(s, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
        assert visibility.is_private(s, workflow, demand)
