"""The task hall (任务大厅): demands open to a person, filtered and sorted."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, or_, select, union
from sqlalchemy.orm import Session

from flows.core.geo import km, nearness
from flows.people.actors import ActorContext
from flows.people.regions import district_id, region_ids_of
from flows.workflow import registry
from schemas.clock import utcnow
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
         limit: int = 50, now: datetime | None = None) -> list[HallRow]:
    """Demands open to the actor: in a state where someone of their role may claim them, in
    their communities — or, for a member, grabbed by their own organisation anywhere; not one
    whose time is over (the engine refuses to claim it, flows.engine.times). A type filter keeps
    the types of that name (see `same_types`)."""
    not_over = _not_over(now or utcnow())
    communities = region_ids_of(session, actor)
    if community_id is not None:
        communities &= {community_id}
    grabbed_by_mine = actor.member_org_id is not None and community_id is None
    open_states = _open_states(session, actor)
    if not open_states or not (communities or grabbed_by_mine):
        return []
    scopes: list[ColumnElement[bool]] = [Demand.community_id == c for c in sorted(communities)]
    if grabbed_by_mine:
        scopes.append(Demand.org_id == actor.member_org_id)
    task_types = same_types(session, actor, task_type_id) if task_type_id else None
    wanted = limit * 3 if skill else limit
    query = (select(Demand, TaskType.name, Region.name).join(TaskType, TaskType.id == Demand.task_type_id)
             .join(Region, Region.id == Demand.community_id))
    by_time = sort != "distance" or near is None
    if by_time and len(scopes) * len({s for states in open_states.values() for s in states}) <= _PARTS_MAX:
        page = _first_by_time(scopes, open_states, task_types, wanted, not_over)
        query = query.join(page, page.c.id == Demand.id)
    else:
        query = query.where(or_(*scopes),
                            # the plain IN lets the (community, state) index skip finished demands
                            Demand.state.in_(sorted({s for states in open_states.values() for s in states})),
                            or_(*[and_(Demand.workflow_id == w, Demand.state.in_(states))
                                  for w, states in open_states.items()]), not_over)
        if task_types:
            query = query.where(Demand.task_type_id.in_(task_types))
    if near is None or by_time:
        query = query.order_by(Demand.starts_at.is_(None), Demand.starts_at, Demand.id.desc())
    else:
        query = query.order_by(case((Demand.lat.is_(None), 1), else_=0), nearness(Demand.lat, Demand.lng, near),
                               Demand.id.desc())
    rows = []
    for demand, type_name, community in session.execute(query.limit(wanted)):
        needs = set(demand.required_skills or [])
        if skill and skill not in needs:
            continue
        # "匹配你的技能" says the item asks for skills this member has; one that asks for none
        # matches everybody, so the tag would tell the member nothing (and tagged every row)
        match = bool(needs) and needs <= actor.skills
        rows.append(HallRow(demand, type_name, community, match, km(near, demand.lat, demand.lng)))
    return rows[:limit]


def _not_over(now: datetime) -> ColumnElement[bool]:
    """Not ended by `now`: a filter on the rows each range reads, not a bound, so the ranges keep
    their indexes and their order (an ended demand lies at the front of its range: read and
    dropped, each range still stops at its page)."""
    return or_(Demand.ends_at.is_(None), Demand.ends_at >= now)


def hall_types(session: Session, actor: ActorContext) -> list[tuple[int, str]]:
    """The hall's type filter: (id, name) of the active types that apply to the actor's own
    communities — the city's and their districts' — one per name, since every district may
    keep its own 微心愿 and a member sees one 微心愿, not one per district."""
    types: dict[str, int] = {}
    for type_id, name in session.execute(_applicable(session, actor).order_by(TaskType.id)):
        types.setdefault(name, type_id)
    return sorted(((i, n) for n, i in types.items()), key=lambda t: t[0])


def same_types(session: Session, actor: ActorContext, task_type_id: int) -> list[int]:
    """The types a filter on `task_type_id` stands for: it and every type of the same name (the
    微心愿 of each district: what the member sees is already bounded by the hall's scopes, and an
    activity their organisation grabbed in another district is of that district's type); an
    unknown id filters to nothing."""
    name = session.scalar(select(TaskType.name).where(TaskType.id == task_type_id))
    same: list[int] = list(session.scalars(select(TaskType.id).where(TaskType.name == name))) if name else []
    return sorted({task_type_id, *same})


def _applicable(session: Session, actor: ActorContext):
    """The active types of the city and of the districts of the actor's communities."""
    ids = region_ids_of(session, actor)
    districts = {district_id(p) for p in session.scalars(select(Region.path).where(Region.id.in_(ids)))} if ids else set()
    return select(TaskType.id, TaskType.name).where(
        TaskType.is_active.is_(True),
        or_(TaskType.district_id.is_(None), TaskType.district_id.in_(sorted(d for d in districts if d is not None))))


_PARTS_MAX = 48  # (scope, state) ranges read one by one; beyond it one sorted query is cheaper


def _first_by_time(scopes: list[ColumnElement[bool]], open_states: dict[str, list[str]],
                   task_types: list[int] | None, limit: int, not_over: ColumnElement[bool]):
    """The ids of the first `limit` demands by time, read as ordered ranges of the
    (community or organisation, state, starts_at, id) indexes — per scope and open state, the
    timed ones by start then the untimed ones newest first, each stopping at `limit` — and
    merged: the hall reads the page it shows, however many demands are open."""
    workflows_in: dict[str, list[str]] = {}
    for workflow_id, states in open_states.items():
        for state in states:
            workflows_in.setdefault(state, []).append(workflow_id)
    parts = []
    for scope in scopes:
        for state, workflows in sorted(workflows_in.items()):
            where_ = [scope, Demand.state == state, Demand.workflow_id.in_(sorted(workflows)), not_over]
            if task_types:
                where_.append(Demand.task_type_id.in_(task_types))
            timed = (select(Demand.id).where(*where_, Demand.starts_at.is_not(None))
                     .order_by(Demand.starts_at, Demand.id.desc()).limit(limit))
            untimed = select(Demand.id).where(*where_, Demand.starts_at.is_(None)).order_by(Demand.id.desc()).limit(limit)
            parts += [select(timed.subquery().c.id), select(untimed.subquery().c.id)]
    return union(*parts).subquery()


def _open_states(session: Session, actor: ActorContext) -> dict[str, list[str]]:
    """Per workflow, the states in which someone of the actor's roles can join — a resident sees
    the activities residents may sign up to, not the wishes only members claim (from the
    published versions, a few rows: reading them off the demands scanned them all, 220 ms at a
    million)."""
    result: dict[str, list[str]] = {}
    for row in session.execute(select(WorkflowVersion.workflow_id, WorkflowVersion.version,
                                      WorkflowVersion.content_hash)):
        workflow = registry.load(session, *row)
        states = {src for s in workflow.spec.steps.values()
                  if isinstance(s, HumanStep) and s.claim and (s.by.role is None or actor.has_role(s.by.role))
                  for src in s.sources}
        if states:
            result[workflow.id] = sorted(set(result.get(workflow.id, [])) | states)
    return result
