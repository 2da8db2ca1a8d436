"""Dry run: walk sample demands through an edited workflow in a throwaway copy of the admin's
district, before it is published. Nothing touches the real database or the registry's cache.

The answer tells the truth: the path a sample demand walks to an ending (each step taken by
someone holding exactly the role and relation it names, a district admin's step by a
district admin), the points each party would get, and every other step, tried on a demand of
its own brought to where it starts, that no one could take. A walk that ends anywhere but a
terminal state is a failure.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flows.core.i18n import Message
from flows.engine.dryrun.sandbox import DistrictCopy, build
from flows.engine.dryrun.walk import DryStep, SampleDemand
from flows.workflow import registry
from flows.workflow.compiled import CompiledWorkflow
from flows.workflow.compiler import compile_source
from schemas.clock import utcnow

__all__ = ["DistrictCopy", "DryRun", "DryStep", "district_copy", "run"]


@dataclass
class DryRun:
    district: str
    steps: list[DryStep] = field(default_factory=list)  # the path walked
    final_state: str = ""
    ended: bool = False  # reached a terminal state
    points: dict[str, int] = field(default_factory=dict)  # party → points it would get
    untaken: list[DryStep] = field(default_factory=list)  # steps no one could take
    titles: dict[str, str] = field(default_factory=dict)  # state id → its title, for people

    def title(self, state: str | None) -> str:
        return self.titles.get(state or "", state or "")

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps) and self.ended and not self.untaken


def run(source: str, file: str = "<editor>", copy: DistrictCopy | None = None, *,
        now: datetime | None = None) -> DryRun:
    """Compile `source` (raises WorkflowInvalid) and walk it in a sandbox copy of a district."""
    copy = copy or DistrictCopy()
    when = now or utcnow()
    with registry.private_cache():
        workflow = compile_source(source, file)
        box = build(workflow, copy)
        try:
            with box.factory() as s:
                registry.publish(s, source, file)
                s.commit()
            result = DryRun(district=copy.district, titles={k: v.title for k, v in workflow.spec.states.items()})
            sample = _walk(SampleDemand(box, workflow, when), result.steps)
            result.final_state = workflow.state_title(sample.state) if sample.state else ""
            result.ended = bool(sample.state) and workflow.is_terminal(sample.state)
            result.points = box.points()
            shown = {s.step for s in result.steps} | sample.done  # a refusal on the path is shown there
            result.untaken = _untaken(box, workflow, when, shown)
            return result
        finally:
            box.dispose()


def _walk(sample: SampleDemand, steps: list[DryStep]) -> SampleDemand:
    """The main path: from the start step to an ending that means done if there is one."""
    first = sample.start()
    steps.append(first)
    if not first.ok:
        return sample
    workflow = sample.workflow
    done = {s for s in workflow.spec.states if workflow.is_done(s)}
    for _ in range(len(workflow.spec.steps) * 2):
        if workflow.is_terminal(sample.state):
            break
        steps += sample.alongside()
        if steps and not steps[-1].ok:
            break
        path = sample.path_to(done) or sample.path_to({s for s in workflow.spec.states if workflow.is_terminal(s)})
        if not path:
            break
        steps.append(sample.take(path[0]))
        if not steps[-1].ok:
            break
    return sample


def _untaken(box, workflow: CompiledWorkflow, when: datetime, taken: set[str]) -> list[DryStep]:
    """Each human step the main path did not take, tried on a sample demand of its own."""
    result = []
    for n, (name, spec) in enumerate(s for s in workflow.spec.steps.items() if s[0] not in taken):
        if spec.kind != "human":
            continue
        sample = SampleDemand(box, workflow, when + timedelta(days=7 * (n + 1)))  # no time clash with others
        started = sample.start()
        if not started.ok:
            result.append(started)
            continue
        for _ in range(len(workflow.spec.steps) * 2):
            if sample.state in spec.sources:
                break
            sample.alongside(skip=name)
            path = sample.path_to(set(spec.sources))
            moved = sample.take(path[0]) if path else None
            if moved is None or not moved.ok:
                break
        if sample.state not in spec.sources:
            result.append(DryStep(name, spec.title, sample.party_for(spec), sample.state, None, False,
                                  Message("dry.unreachable", {"state": workflow.state_title(sample.state)})))
            continue
        sample.alongside(skip=name)
        attempt = sample.take(name)
        if not attempt.ok:
            result.append(attempt)
    return result


def district_copy(session, district_id: int | None, workflow_id: str) -> DistrictCopy:
    """What the sandbox copies of a real district: its name, one of its communities, and the
    points of its task type for this workflow (read only)."""
    from sqlalchemy import or_, select

    from schemas.tables import Region, RegionLevel, TaskType

    district = session.get(Region, district_id) if district_id else None
    if district is None:
        city = session.scalar(select(Region).where(Region.level == RegionLevel.CITY).limit(1))
        return DistrictCopy(city=city.name) if city else DistrictCopy()
    city = session.get(Region, district.parent_id) if district.parent_id else None
    community = session.scalar(select(Region).where(Region.level == RegionLevel.COMMUNITY,
                                                    Region.path.startswith(district.path)).order_by(Region.path).limit(1))
    points = session.scalar(select(TaskType.default_points).where(
        TaskType.workflow_id == workflow_id, TaskType.is_active.is_(True),
        or_(TaskType.district_id == district.id, TaskType.district_id.is_(None)))
        .order_by(TaskType.district_id.is_(None), TaskType.id).limit(1))
    return DistrictCopy(city=city.name if city else "示例市", district=district.name,
                        community=community.name if community else "示例社区", points=points or 10,
                        lat=(community.lat if community and community.lat is not None else 47.72),
                        lng=(community.lng if community and community.lng is not None else 128.84))
