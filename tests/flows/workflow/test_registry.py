"""Versions: a demand stays on the version it started with; publishing changes only new ones."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from flows.workflow import registry
from flows.workflow.compiler import WorkflowInvalid
from schemas.settings import ROOT
from schemas.tables import Demand, WorkflowVersion
from tests.flows.walker import Walker
from tests.world import build_world


@pytest.fixture
def world(factory):
    return build_world(factory)


def _publish(factory, source):
    with factory() as s:
        row = registry.publish(s, source, "edited.yaml")
        s.commit()
        return row.version


def test_new_version_leaves_running_demands_alone(factory, world):
    source = (ROOT / "workflows" / "micro_wish.yaml").read_text("utf-8")
    old = Walker(factory, world)
    old.start("res_a", "micro_wish", {"title": "旧版本心愿"})
    old.act("cadm_a", "publish")
    edited = source.replace("      hours: {type: number, title: 服务时长(小时), min: 0.5, max: 12}",
                            "      hours: {type: number, title: 服务时长(小时), min: 0.5, max: 12}\n"
                            "      helpers: {type: integer, title: 参与人数, min: 1, max: 20}")
    assert _publish(factory, edited) == 2
    assert _publish(factory, edited) == 2  # the same text again is not a new version
    new = Walker(factory, world)
    new.start("res_a", "micro_wish", {"title": "新版本心愿"})
    new.act("cadm_a", "publish")
    with factory() as s:
        versions = {d.title: d.workflow_version for d in s.scalars(select(Demand))}
    assert versions == {"旧版本心愿": 1, "新版本心愿": 2}
    old.act("mem1", "claim")
    old.act("mem1", "serve", {"hours": 1, "note": "按旧表单"})  # v1's form has no `helpers`
    new.act("mem2", "claim")
    with pytest.raises(Exception) as refused:
        new.act("mem2", "serve", {"hours": 1, "note": "新表单"})
    assert "helpers" in refused.value.fields
    new.act("mem2", "serve", {"hours": 1, "note": "新表单", "helpers": 3})
    with factory() as s:
        assert registry.load(s, "micro_wish", 1).content_hash != registry.load(s, "micro_wish", 2).content_hash
        assert registry.versions_in_use(s) == {("micro_wish", 1): 1, ("micro_wish", 2): 1}


def test_invalid_workflow_never_published(factory, world):
    with factory() as s:
        with pytest.raises(WorkflowInvalid):
            registry.publish(s, "id: micro_wish\ntitle: 坏的\n", "bad.yaml")
        s.rollback()
        assert s.scalar(select(WorkflowVersion.version).where(WorkflowVersion.workflow_id == "micro_wish")
                        .order_by(WorkflowVersion.version.desc())) == 1
