"""A district's own kind of demand starts only in that district's communities: the district is
read from the community's path by people.regions.district_id, never by a substring."""
from __future__ import annotations

import pytest

from flows import engine
from flows.core.refusals import Refused
from schemas.tables import TaskCategory, TaskType
from tests.world import NOW, build_world


def _type(factory, district: int, code: str) -> int:
    with factory() as s:
        task_type = TaskType(code=code, name=code, category=TaskCategory.MICRO_WISH, default_points=5,
                             workflow_id="micro_wish", district_id=district)
        s.add(task_type)
        s.commit()
        return task_type.id


def test_a_district_type_starts_in_its_own_district_only(factory):
    world = build_world(factory)
    own, street = _type(factory, world["d1"], "wish.d1"), _type(factory, world["s1"], "wish.street")
    with factory() as s:
        assert engine.start(s, world["res_a"], own, {"title": "修灯"}, community_id=world["ca"], now=NOW).demand_id
    with factory() as s, pytest.raises(Refused) as refused:
        engine.start(s, world["res_b"], own, {"title": "修灯"}, community_id=world["cb"], now=NOW)
    assert refused.value.code == "task_type"
    # A region id that appears in the path but is not its district (a street) is not a district.
    with factory() as s, pytest.raises(Refused) as refused:
        engine.start(s, world["res_a"], street, {"title": "修灯"}, community_id=world["ca"], now=NOW)
    assert refused.value.code == "task_type"
