"""The dry run tells the truth: each step taken by someone holding exactly the role and
relation it names, in a copy of the admin's district; the path, the points, and every step no
one could take; a walk that stops short of an ending is a failure; nothing left behind."""
from __future__ import annotations

import pytest

from flows.engine import dryrun
from flows.workflow import registry
from schemas.settings import ROOT
from tests.world import build_world

MICRO_WISH = (ROOT / "workflows" / "micro_wish.yaml").read_text("utf-8")


@pytest.mark.parametrize("path", sorted((ROOT / "workflows").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_workflow_walks_to_done_and_every_step_can_be_taken(path):
    before = (len(registry.cache()), registry.cache().compiles)
    result = dryrun.run(path.read_text("utf-8"), path.name)
    assert result.ok and result.ended, [(s.step, s.message()) for s in result.steps + result.untaken]
    assert result.untaken == []
    assert sum(result.points.values()) > 0
    assert (len(registry.cache()), registry.cache().compiles) == before  # a dry run fills no shared cache


def test_a_district_admin_approval_step_passes():
    """`by: district_admin` is taken by a district admin of the copied district (it was dry-run
    as a community admin, refused, though the published version worked)."""
    source = MICRO_WISH.replace("""  publish:
    title: 审核发布
    by: community_admin""", """  publish:
    title: 审核发布
    by: district_admin""")
    assert source != MICRO_WISH
    result = dryrun.run(source)
    assert result.ok, [(s.step, s.actor, s.message()) for s in result.steps]
    publish = next(s for s in result.steps if s.step == "publish")
    assert (publish.actor, publish.from_state, publish.to_state) == ("district_admin", "review", "open")
    claim = next(s for s in result.steps if s.step == "claim")
    assert claim.actor == "member" and result.points == {"member": 14}


def test_a_walk_that_stops_short_of_an_ending_fails():
    source = MICRO_WISH.replace("""    to: open
    sla: {within: 2d, then: escalate}""", """    to: open
    guards: [registered_in_community]
    sla: {within: 2d, then: escalate}""")
    result = dryrun.run(source)
    assert not result.ok and not result.ended and result.final_state == "待审核"
    refused = result.steps[-1]
    assert (refused.step, refused.ok) == ("publish", False)
    assert "报到" in refused.message("zh") and "report in" in refused.message("en").lower()


def test_every_step_no_one_could_take_is_listed():
    """A step off the path that nobody in the sandbox may take (an organisation admin is never
    a member reported in to the community) is tried on a demand of its own and reported."""
    source = MICRO_WISH.replace("""  award:
    kind: auto""", """  thank:
    title: 致谢
    by: org_admin
    from: served
    guards: [registered_in_community]

  award:
    kind: auto""")
    result = dryrun.run(source)
    assert result.ended and not result.ok
    assert [(s.step, s.actor, s.from_state) for s in result.untaken] == [("thank", "org_admin", "served")]
    assert "报到" in result.untaken[0].message()


def test_the_sandbox_is_a_copy_of_the_admins_district(factory):
    world = build_world(factory)
    with factory() as s:
        copy = dryrun.district_copy(s, world["d1"], "micro_wish")
    assert (copy.city, copy.district, copy.community, copy.points) == ("伊春市", "伊美区", "旭日社区", 10)
    result = dryrun.run(MICRO_WISH, copy=copy)
    assert result.district == "伊美区" and result.ok


def _edit(data, spec: dict) -> dict:
    """One plausible admin edit: who does a step, where it goes, its guards, record or claim,
    a bound of a field, or a step deleted."""
    import copy

    from hypothesis import strategies as st

    from schemas.workflow import ACTOR_SHORTHANDS

    spec = copy.deepcopy(spec)
    name = data.draw(st.sampled_from([n for n, s in spec["steps"].items() if s.get("kind") != "start"]))
    step, states = spec["steps"][name], list(spec["states"])
    edit = data.draw(st.sampled_from(["by", "to", "from", "guards", "record", "claim", "bound", "delete"]))
    if edit == "delete":
        del spec["steps"][name]
    elif edit == "by" and step.get("kind") != "auto":
        step["by"] = data.draw(st.sampled_from(sorted(ACTOR_SHORTHANDS)))
    elif edit in ("to", "from"):
        step[edit] = data.draw(st.sampled_from(states))
    elif edit == "guards" and step.get("kind") != "auto":
        step["guards"] = data.draw(st.lists(st.sampled_from(["registered_in_community", "not_requester", "skills",
                                                             "no_time_clash"]), unique=True, max_size=3))
    elif edit == "record" and step.get("kind") != "auto":
        step["record"] = data.draw(st.sampled_from(["service", "sign_in", "sign_out", "withdraw", "release"]))
    elif edit == "claim" and step.get("kind") != "auto":
        step["claim"] = {"holder": data.draw(st.sampled_from(["member", "org"])),
                         "capacity": data.draw(st.sampled_from([1, "demand"]))}
    elif edit == "bound" and step.get("form"):
        field = step["form"][data.draw(st.sampled_from(sorted(step["form"])))]
        field[data.draw(st.sampled_from(["min", "max", "required"]))] = data.draw(st.integers(0, 20))
    return spec


def test_any_workflow_that_compiles_gets_a_dry_run_answer():
    """Plausible edits of the shipped workflows that still compile: the dry run answers
    (passed or failed, with reasons), never an exception the editor would turn into a 500."""
    import json

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from flows.workflow.compiler import WorkflowInvalid, compile_source
    from tests.flows.workflow.test_compiler import SHIPPED

    ran = []

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.sampled_from(sorted(SHIPPED)), st.data())
    def check(name, data):
        spec = SHIPPED[name]
        for _ in range(data.draw(st.integers(1, 3))):
            spec = _edit(data, spec)
        source = json.dumps(spec, ensure_ascii=False)
        try:
            compile_source(source)
        except WorkflowInvalid:
            return
        result = dryrun.run(source)
        ran.append(result.ok)
        assert result.steps and all(s.ok or s.message("zh") for s in result.steps + result.untaken)
        assert result.ok == (result.ended and not result.untaken and all(s.ok for s in result.steps))

    check()
    assert len(ran) >= 10  # enough of the edits compiled to say something
