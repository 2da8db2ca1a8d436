"""Stable versions: a hash of what the admin said (not of the DSL's defaults) with the DSL's
version; every stored version compiles with today's compiler; a version is compiled once per
process whatever hash it was stored with; the cache is bounded."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from flows.workflow import registry
from flows.workflow.compiler import compile_source
from schemas.settings import ROOT
from schemas.tables import Demand, WorkflowVersion
from tests.flows.walker import Walker
from tests.world import build_world

STORED = Path(__file__).parent / "stored"

# The hash of each shipped workflow. A change here means every district's published line
# would be seen as "changed": only a change of the workflow's meaning (or of DSL_VERSION,
# deliberately) may move these. #17 moved joint_activity and micro_wish: they now notify;
# then joint_activity again: it reminds claimants and asks them to confirm their places.
# #19 added resource_request, then moved it: the holder (its organisation, or its community when
# the community shares the resource itself) answers requests; then again: its use is confirmed
# only once the booked time has started (`guards: [after_start]`).
# Then joint_activity: signing in and out asks for the code of the QR code at the door (guard on_site),
# and micro_wish: a rejection tells the resident, with the reason. Then the cancels of an activity, a
# volunteer item, a booking and a resource request: each tells the people it leaves waiting. Then
# joint_activity: the grabbing organisation may give the activity up (放弃抢单, record: give_up).
# Then every shipped workflow: its words in English (`en:`), for readers who chose English.
# Then volunteer_item: 记录服务's hours at most 12 (its maximum now bounds a day's entries, not one).
# Then joint_activity twice: its end after its start, within 3 days (after/within); then 结束活动
# only once the activity has started (`guards: [after_start]`), so no activity is settled unheld;
# and appointment: 完成服务 only once the booked time has come, for the same reason.
# Then joint_activity: 开始活动 from a day before the start (in_time_window, opens 1d), and
# 取消活动 from running too. Then joint_activity: a 开始活动 forgotten until after the end may still
# be tapped within 30 days of it (window closes: 30d), or the activity could never be settled.
# Then appointment: 派单 tells the member sent, 完成服务 asks the resident to rate, and the community
# may call a booking off (社区取消, with a reason told to the resident and the member); 派单 reads
# 安排服务党员, in words a resident reads.
PINNED = {
    "appointment": "429eadf1a2a25368a83d570524d7619db9d7c24da24a5d5d6710dbb74e6603e2",
    "joint_activity": "8c14476d4ff1cc0559a12e52132e863322b263e1a520ee275f22fb5d3fb084fb",
    "micro_wish": "7f7ef4182ef9edd9474424752450e1fe685cf3e8dda1f43696be052a80988f24",
    "resource_request": "3cf2ab2aba8d8aa6b32c0e939924e9edbee412c683f341fc255dac43188ad39c",
    "volunteer_item": "71df49e181ce6c868ef3b57ecdf3c53140e06eed1b6fd16e2cf24107a4880990",
}


@pytest.mark.parametrize("name", sorted(PINNED))
def test_shipped_hashes_are_pinned(name):
    assert compile_source((ROOT / "workflows" / f"{name}.yaml").read_text("utf-8")).content_hash == PINNED[name]


def test_every_shipped_workflow_is_pinned():
    assert {p.stem for p in (ROOT / "workflows").glob("*.yaml")} == set(PINNED)


def test_defaults_written_out_change_nothing():
    """What the DSL would fill in anyway is not part of the meaning: a new defaulted word in
    the DSL cannot change a stored hash."""
    source = (ROOT / "workflows" / "micro_wish.yaml").read_text("utf-8")
    explicit = (source.replace("    title: 完成服务\n", "    title: 完成服务\n    kind: human\n    guards: []\n")
                .replace("{type: image, title: 现场照片, required: false}",
                         "{type: image, title: 现场照片, required: false, max_mb: 5}")
                .replace("      note:  {type: text, title: 服务说明, max_length: 500, multiline: true}",
                         "      note:  {type: text, title: 服务说明, max_length: 500, multiline: true, min_length: 0}"))
    assert explicit != source
    assert compile_source(explicit).content_hash == compile_source(source).content_hash


def _legacy_hash(source: str) -> str:
    """How hashes were computed before #15 (the defaults included): what old databases hold."""
    spec = compile_source(source).spec
    canonical = json.dumps(spec.model_dump(mode="json", by_alias=True), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@pytest.fixture
def world(factory):
    return build_world(factory)


def test_every_stored_version_compiles_with_todays_compiler(factory, world):
    """The shipped workflows and every earlier text of them (as old databases hold them, with
    their old hashes) pass every rule of today's compiler, liveness included."""
    with factory() as s:
        for path in sorted(STORED.glob("*.yaml")):
            source = path.read_text("utf-8")
            workflow_id = path.stem.split("@")[0]
            newest = s.scalar(select(func.max(WorkflowVersion.version)).where(WorkflowVersion.workflow_id == workflow_id))
            s.add(WorkflowVersion(workflow_id=workflow_id, version=newest + 1, content_hash=_legacy_hash(source),
                                  title="旧版本", source=source, note=path.name))
        s.commit()
        assert s.scalar(select(func.count()).select_from(WorkflowVersion)) == len(PINNED) + len(list(STORED.glob("*.yaml")))
        assert registry.check_stored(s) == []
        for row in s.scalars(select(WorkflowVersion)):
            assert registry.load(s, row.workflow_id, row.version, row.content_hash).id == row.workflow_id


def test_a_version_stored_with_an_old_hash_compiles_once(factory, world):
    """Demands pinned to a version whose stored hash today's compiler would not compute are
    served from the cache on every load, and its text republished is not a new version."""
    source = (ROOT / "workflows" / "micro_wish.yaml").read_text("utf-8")
    with factory() as s:
        s.add(WorkflowVersion(workflow_id="micro_wish", version=2, content_hash=_legacy_hash(source), title="旧",
                              source=source))
        s.commit()
    assert _legacy_hash(source) != compile_source(source).content_hash
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "旧哈希上的心愿"})
    with registry.private_cache() as cache:
        with factory() as s:
            demand = s.get(Demand, walk.demand_id)
            assert (demand.workflow_version, demand.workflow_hash) == (2, _legacy_hash(source))
            first = registry.load(s, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
            compiles = cache.compiles
            for _ in range(5):
                assert registry.load(s, demand.workflow_id, demand.workflow_version, demand.workflow_hash) is first
            assert cache.compiles == compiles == 1
            assert registry.publish(s, source, "same.yaml").version == 2  # the same meaning: no new version


def test_the_cache_is_bounded(factory, world):
    source = (ROOT / "workflows" / "micro_wish.yaml").read_text("utf-8")
    with factory() as s:
        for n in range(2, 7):
            registry.publish(s, source.replace("title: 微心愿\n", f"title: 微心愿{n}\n", 1), "v.yaml")
        s.commit()
        with registry.private_cache() as cache:
            cache.maxsize = 3
            for version in range(1, 7):
                registry.load(s, "micro_wish", version)
            assert len(cache) == 3 and cache.compiles == 6
