"""What a person may start (发布微心愿, 预约服务, 创建活动 …): read from the published
workflows' start steps and their `by:` roles, never listed per workflow, so a task type added
in the console appears here without code."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.people.actors import ActorContext
from flows.people.regions import region_ids_of
from flows.workflow import registry
from flows.workflow.registry import UnknownWorkflow
from schemas.tables import Region, TaskType
from schemas.workflow import Actor, StartStep


@dataclass(frozen=True)
class Startable:
    """One thing the person may start: a task type's start step."""

    task_type: TaskType
    step: str
    spec: StartStep

    @property
    def books_a_slot(self) -> bool:
        """Started by choosing a time slot (the booking page), not by a form."""
        return self.spec.record == "booking"


def may_start(actor: ActorContext, who: Actor) -> bool:
    """Whether the actor holds the role the start step names (where is checked on submit)."""
    return who.role is None or actor.has_role(who.role)


def startable(session: Session, actor: ActorContext) -> list[Startable]:
    """The start steps this person may take, one per kind of demand, for the districts they
    belong to (their own district's task type before a city-wide one of the same kind)."""
    paths = _paths(session, actor)
    types = session.scalars(select(TaskType).where(TaskType.is_active.is_(True))
                            .order_by(TaskType.district_id.is_(None), TaskType.id)).all()
    district_paths = dict(session.execute(select(Region.id, Region.path).where(
        Region.id.in_({t.district_id for t in types if t.district_id is not None}))).all())
    seen: set[str] = set()
    result = []
    for task_type in types:
        kind = task_type.code.split(".", 1)[0]
        district = district_paths.get(task_type.district_id) if task_type.district_id else None
        if kind in seen or (district is not None and not any(_overlap(p, district) for p in paths)):
            continue
        try:
            _, workflow = registry.load_latest(session, task_type.workflow_id)
        except UnknownWorkflow:
            continue
        steps = [Startable(task_type, name, spec) for name, spec in workflow.start_steps().items()
                 if may_start(actor, spec.by)]
        if steps:
            seen.add(kind)
            result.extend(steps)
    return result


def _paths(session: Session, actor: ActorContext) -> list[str]:
    """Region paths the person belongs to: their grants and the communities they serve."""
    paths = [g.region_path for g in actor.grants if g.region_path]
    ids = region_ids_of(session, actor)
    if ids:
        paths += list(session.scalars(select(Region.path).where(Region.id.in_(ids))))
    return paths


def _overlap(path: str, district_path: str) -> bool:
    """A path inside the district, or above it (a city admin's)."""
    return path.startswith(district_path) or district_path.startswith(path)
