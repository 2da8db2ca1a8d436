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


def _version_of_new_demand(factory, world, community: str, title: str) -> int:
    walk = Walker(factory, world)
    requester = {"ca": "res_a", "cb": "res_b"}[community]
    walk.start(requester, "micro_wish", {"title": title}, community=community)
    with factory() as s:
        return s.get(Demand, walk.demand_id).workflow_version


def test_districts_own_their_lines(factory, world):
    """A district's publish changes its own new demands only; a district without a line of
    its own follows the city's templates; adopting a template pins the district to it."""
    source = (ROOT / "workflows" / "micro_wish.yaml").read_text("utf-8")
    yimei = source.replace("sla: {within: 2d, then: escalate}", "sla: {within: 1d, then: escalate}")
    with factory() as s:
        row = registry.publish(s, yimei, "yimei.yaml", district_id=world["d1"], note="伊美区：审核一天")
        s.commit()
        assert (row.version, row.district_id) == (2, world["d1"])
    assert _version_of_new_demand(factory, world, "ca", "伊美区的心愿") == 2
    assert _version_of_new_demand(factory, world, "cb", "铁力市的心愿") == 1  # untouched by 伊美区

    city = source.replace("sla: {within: 3d, then: escalate}", "sla: {within: 4d, then: escalate}")
    with factory() as s:
        assert registry.publish(s, city, "city.yaml").version == 3  # a new template
        s.commit()
    assert _version_of_new_demand(factory, world, "cb", "铁力市跟随模板") == 3
    assert _version_of_new_demand(factory, world, "ca", "伊美区有自己的线") == 2

    with factory() as s:  # 铁力市 adopts template v3 as is, then the city moves on
        assert registry.publish(s, city, "adopt.yaml", district_id=world["d2"], note="采用全市模板 v3").version == 4
        assert registry.publish(s, source, "city.yaml").version == 5
        s.commit()
        assert registry.lines(s, "micro_wish") == {None: 5, world["d1"]: 2, world["d2"]: 4}
        assert [v.version for v in registry.line_versions(s, "micro_wish", world["d2"])] == [4]
    assert _version_of_new_demand(factory, world, "cb", "铁力市采用的模板") == 4
    with factory() as s:  # the same meaning again in the same line is not a new version
        assert registry.publish(s, city, "again.yaml", district_id=world["d2"]).version == 4


def test_rules_added_for_publishing_do_not_stop_a_stored_version(factory):
    """A version published before a rule existed still loads to run its demands (its reject
    step's message names a form field the step does not have: read as empty at run time)."""
    from flows.workflow.compiler import compile_source

    source = (ROOT / "workflows" / "micro_wish.yaml").read_text("utf-8").replace(
        "      reason: {type: text, title: 原因, max_length: 200}\n", "      why: {type: text, title: 原因, max_length: 200}\n",
    ).replace("      fields: {reason: {title: Reason}}\n", "      fields: {why: {title: Reason}}\n")  # its English too
    assert "why:" in source
    with pytest.raises(WorkflowInvalid):
        compile_source(source, "new.yaml")
    assert compile_source(source, "stored.yaml", stored=True).id == "micro_wish"


def test_a_deploy_syncs_unchanged_files_whatever_the_bounds_are_now(factory):
    """The city tightens its bounds below what a shipped file says: the unchanged files still
    sync (nothing new is published); a changed one would be checked against them."""
    from sqlalchemy import update

    from schemas.tables import PointPolicy

    build_world(factory)
    with factory() as s, s.begin():
        s.execute(update(PointPolicy).values(max_rating_factor=1.0))
    with factory() as s:
        assert registry.sync_directory(s, ROOT / "workflows")  # joint_activity says 5: 1.2
        s.commit()
        changed = (ROOT / "workflows" / "micro_wish.yaml").read_text("utf-8").replace("sla: {within: 2d", "sla: {within: 1d")
        with pytest.raises(WorkflowInvalid):
            registry.publish(s, changed, "micro_wish.yaml")


def test_the_home_menu_reads_each_districts_own_version(factory, world):
    """The walk found the home button still saying the city's 发布心愿 after 伊美区 renamed its
    start step to 提交心愿 (the menu read the city template): each community's entry now comes
    from its own district's version, and a district without one keeps the city's words."""
    from flows.engine import menu
    from flows.people.actors import load_actor

    source = (ROOT / "workflows" / "micro_wish.yaml").read_text("utf-8")
    renamed = source.replace("    title: 发布心愿\n", "    title: 提交心愿\n", 1)
    assert renamed != source
    with factory() as s:
        registry.publish(s, renamed, "yimei.yaml", district_id=world["d1"])
        s.commit()
    with factory() as s:
        def titles(user: str) -> set[str]:
            return {e.step_title for e in menu.startable(s, load_actor(s, world[user])) if e.code == "micro_wish"}

        assert titles("res_a") == {"提交心愿"}  # 旭日社区, in 伊美区
        assert titles("res_b") == {"发布心愿"}  # 站前社区, in 铁力市: the city's template
