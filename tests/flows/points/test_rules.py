"""Point rules as data: a district's task type overrides the workflow's per-hour rate and
rating multipliers for its own demands only, within the city's bounds; a code names the
actor's own district's type."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from flows.catalogue import task_types
from flows.core.refusals import Refused
from flows.people import regions
from flows.people.actors import load_actor
from flows.points import rules
from flows.workflow import registry
from schemas.settings import ROOT
from schemas.tables import PointPolicy, TaskCategory, TaskType, WorkflowVersion
from schemas.workflow import PointsRule
from tests.flows.walker import Walker
from tests.world import build_world


@pytest.fixture
def world(factory):
    world = build_world(factory)
    with factory() as s, s.begin():
        mine = TaskType(code="micro_wish", name="伊美区微心愿", category=TaskCategory.MICRO_WISH, default_points=10,
                        per_hour=10, rating_factors={"5": 2.0}, workflow_id="micro_wish", district_id=world["d1"])
        s.add(mine)
        s.flush()
        world.ids["tt_yimei_wish"] = mine.id
    return world


def _wish(factory, world, resident, community, task_type) -> int:
    walk = Walker(factory, world)
    walk.start(resident, task_type, {"title": "修灯"}, community=community)
    admin = "cadm_a" if community == "ca" else "cadm_b"
    member = "mem1" if community == "ca" else "mem3"
    for user, step, data in [(admin, "publish", {}), (member, "claim", {}), (member, "serve", {"hours": 1, "note": "好"}),
                             (resident, "evaluate", {"rating": 5})]:
        walk.act(user, step, data)
    return walk.balance(member)


def test_a_districts_rates_apply_to_its_demands_only(factory, world):
    assert _wish(factory, world, "res_a", "ca", "yimei_wish") == 40  # (10 + 10 × 1 h) × 2
    assert _wish(factory, world, "res_b", "cb", "micro_wish") == 14  # the workflow's: (10 + 2) × 1.2


def test_the_citys_bounds_cap_what_was_saved_before(factory, world):
    with factory() as s, s.begin():
        s.execute(update(PointPolicy).values(max_per_hour=5, max_rating_factor=1.5))
    assert _wish(factory, world, "res_a", "ca", "yimei_wish") == 23  # (10 + 5 × 1 h) × 1.5 = 22.5, half up

def test_factors_parse_format_and_bounds(factory, world):
    assert rules.parse_factors("1:0, 3：0.8，5=1.2") == {"1": 0.0, "3": 0.8, "5": 1.2}
    assert rules.format_factors({"5": 1.2, "1": 0.0}) == "1:0, 5:1.2"
    assert rules.parse_factors(rules.format_factors({"1": 0.5, "2": 1})) == {"1": 0.5, "2": 1.0}
    assert rules.parse_factors("  ") is None
    with pytest.raises(Refused) as exc:
        rules.parse_factors("五星:2")
    assert "rating_factors" in exc.value.fields
    with factory() as s:
        too_much = TaskType(code="x", name="x", category=TaskCategory.MICRO_WISH, default_points=500, per_hour=50,
                            rating_factors={"5": 3}, workflow_id="micro_wish")
        with pytest.raises(Refused) as exc:
            rules.check_task_type(s, too_much)
        assert set(exc.value.fields) == {"default_points", "per_hour", "rating_factors"}


def test_a_code_names_the_actors_own_districts_type(factory, world):
    with factory() as s:
        for user, expected in [("res_a", "tt_yimei_wish"), ("res_b", "tt_micro_wish"), ("mem1", "tt_yimei_wish")]:
            actor = load_actor(s, world[user])
            found = task_types.resolve(s, "micro_wish", regions.districts_of(s, actor))
            assert found is not None and found.id == world[expected], user
        assert task_types.resolve(s, "micro_wish", []).id == world["tt_micro_wish"]
        assert ("micro_wish", "微心愿") in task_types.workflow_choices(s)


def test_a_version_published_before_the_bounds_is_held_to_them_at_award(factory, world):
    """A version stored before publishing checked points (or a city that tightened its bounds
    since) still runs; what it awards is clamped: per hour, factor and a fixed base alike."""
    shipped = (ROOT / "workflows" / "micro_wish.yaml").read_text("utf-8")
    source = shipped.replace("per_hour: 2, by_rating: {1: 0, 2: 0.5, 3: 0.8, 4: 1, 5: 1.2}",
                             "per_hour: 5000, by_rating: {5: 10}")
    assert source != shipped
    with factory() as s, s.begin():
        workflow = registry.compile_source(source, "old.yaml")  # no bounds given: as a stored version loads
        s.add(WorkflowVersion(workflow_id="micro_wish", version=2, content_hash=workflow.content_hash,
                              district_id=world["d2"], title=workflow.spec.title, source=source))
    # 伊美区's own type tunes per hour and the factor; 铁力's demand runs the stored greedy version
    assert _wish(factory, world, "res_b", "cb", "micro_wish") == 60  # (10 + 20 × 1 h) × 2.0, not (10 + 5000) × 10
    with factory() as s:
        fixed, _ = rules.effective(s, PointsRule(to="org", base=5000, per_hour=0), None)
        assert fixed.base == 200
