"""The task hall (任务大厅): demands open to a person, filtered and sorted."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, or_, select
from sqlalchemy.orm import Session

from flows.core.geo import km, nearness
from flows.people.actors import ActorContext
from flows.people.regions import region_ids_of
from flows.workflow import registry
from schemas.tables import Demand, Region, TaskType, WorkflowVersion
from schemas.workflow import HumanStep


@dataclass(frozen=True)
class HallRow:
    demand: Demand
    task_type: str
    community: str
    match: bool
    distance_km: float | None


def hall(session: Session, actor: ActorContext, *, community_id: int | None = None, task_type_id: int | None = None,
         skill: str | None = None, sort: str = "time", near: tuple[float, float] | None = None,
         limit: int = 50) -> list[HallRow]:
    """Demands open to the actor: published, not finished, in their communities, and those
    their organisation grabbed (a member serves where the organisation took the work)."""
    communities = region_ids_of(session, actor)
    if community_id is not None:
        communities &= {community_id}
    open_states = _open_states(session)
    wanted = limit * 3 if skill else limit
    found = _rows(session, Demand.community_id.in_(communities), open_states, task_type_id, sort, near, wanted) \
        if communities else []
    if actor.member_org_id is not None:
        # A second, small query (by the org_id index) rather than an OR in the first: the
        # (community, state) index keeps serving the communities' open demands.
        grabbed: ColumnElement[bool] = Demand.org_id == actor.member_org_id
        if community_id is not None:
            grabbed = and_(grabbed, Demand.community_id == community_id)
        seen = {demand.id for demand, _, _ in found}
        extra = [r for r in _rows(session, grabbed, open_states, task_type_id, sort, near, wanted)
                 if r[0].id not in seen]
        if extra:
            found = sorted(found + extra, key=_order(sort, near))[:wanted]
    rows = []
    for demand, type_name, community in found:
        needs = set(demand.required_skills or [])
        if skill and skill not in needs:
            continue
        match = bool(needs) and needs <= actor.skills or (not needs and bool(actor.skills))
        rows.append(HallRow(demand, type_name, community, match, km(near, demand.lat, demand.lng)))
    return rows[:limit]


Found = tuple[Demand, str, str]


def _rows(session: Session, where: ColumnElement[bool], open_states: dict[str, list[str]], task_type_id: int | None,
          sort: str, near: tuple[float, float] | None, limit: int) -> list[Found]:
    query = (select(Demand, TaskType.name, Region.name).join(TaskType, TaskType.id == Demand.task_type_id)
             .join(Region, Region.id == Demand.community_id)
             .where(where,
                    # the plain IN lets the (community, state) index skip finished demands
                    Demand.state.in_(sorted({s for states in open_states.values() for s in states})),
                    or_(*[and_(Demand.workflow_id == w, Demand.state.in_(states)) for w, states in open_states.items()])))
    if task_type_id:
        query = query.where(Demand.task_type_id == task_type_id)
    if sort == "distance" and near is not None:
        query = query.order_by(case((Demand.lat.is_(None), 1), else_=0), nearness(Demand.lat, Demand.lng, near),
                               Demand.id.desc())
    else:
        query = query.order_by(Demand.starts_at.is_(None), Demand.starts_at, Demand.id.desc())
    return [(demand, type_name, community) for demand, type_name, community in session.execute(query.limit(limit))]


def _order(sort: str, near: tuple[float, float] | None):
    """The queries' ORDER BY as a sort key, to merge the two lists."""
    if sort == "distance" and near is not None:
        def by_distance(row: Found) -> tuple:
            distance = km(near, row[0].lat, row[0].lng)
            return (distance is None, distance or 0.0, -row[0].id)
        return by_distance

    def by_time(row: Found) -> tuple:
        starts = row[0].starts_at
        return (starts is None, starts.timestamp() if starts else 0.0, -row[0].id)
    return by_time


def _open_states(session: Session) -> dict[str, list[str]]:
    """Per workflow, the states in which a member or organisation can join (from the published
    versions, a few rows: reading them off the demands scanned them all, 220 ms at a million)."""
    result: dict[str, list[str]] = {}
    for row in session.execute(select(WorkflowVersion.workflow_id, WorkflowVersion.version,
                                      WorkflowVersion.content_hash)):
        workflow = registry.load(session, *row)
        states = {src for s in workflow.spec.steps.values() if isinstance(s, HumanStep) and s.claim for src in s.sources}
        result.setdefault(workflow.id, [])
        result[workflow.id] = sorted(set(result[workflow.id]) | states)
    return result
