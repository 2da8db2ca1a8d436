"""An admin's work queue (待办), read from the published workflows.

A demand waits on an admin when, in its state, a human step by an admin role moves it
forward: towards a successful ending (`outcome: done`), not back (re-open) or out (cancel,
reject). Participants' attendance waits on the admin while a claimant's sign-in or sign-out
step can be taken. Nothing here names a workflow, a state or a step: a workflow published
tomorrow fills the queue the same way.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from flows.engine import times
from flows.engine.attendance import attendance_states
from flows.engine.permissions import check_actor
from flows.people.actors import ADMIN_ROLES, ActorContext
from flows.people.regions import admin_communities
from flows.workflow import registry
from flows.workflow.compiled import CompiledWorkflow
from schemas.clock import utcnow
from schemas.tables import Claim, ClaimStatus, Demand, Region, ServiceRecord, TaskType, WorkflowVersion
from schemas.workflow import AutoStep, HumanStep

ADMIN_ROLE_NAMES = frozenset(r.value for r in ADMIN_ROLES)


@dataclass(frozen=True)
class Waiting:
    """A demand waiting on the admin: the steps they may take and when the first falls due."""

    demand: Demand
    community: str
    workflow_title: str
    state_title: str
    steps: tuple[tuple[str, str], ...]  # (step, title)
    due: datetime | None
    overdue: bool
    kind: str = ""  # the task type's name (环境整治): what the community calls it, not the workflow (联建活动)


@dataclass(frozen=True)
class Attendance:
    """An activity under way whose participants the admin may sign in or out."""

    demand: Demand
    community: str
    state_title: str
    participants: int
    signed_in: int
    signed_out: int


def distance_to_done(workflow: CompiledWorkflow) -> dict[str, int]:
    """Per state, the fewest steps to a successful ending (absent when none can be reached)."""
    into: dict[str, set[str]] = {}
    for step in workflow.spec.steps.values():
        if isinstance(step, (HumanStep, AutoStep)) and step.to is not None:
            for source in step.sources:
                into.setdefault(step.to, set()).add(source)
    distance = {state: 0 for state in workflow.spec.states if workflow.is_done(state)}
    frontier = deque(distance)
    while frontier:
        state = frontier.popleft()
        for source in into.get(state, ()):
            if source not in distance:
                distance[source] = distance[state] + 1
                frontier.append(source)
    return distance


def forward_admin_steps(workflow: CompiledWorkflow) -> dict[str, dict[str, HumanStep]]:
    """Per state, the human steps an admin role may take there that bring the demand nearer
    to a successful ending."""
    distance = distance_to_done(workflow)
    result: dict[str, dict[str, HumanStep]] = {}
    for state in workflow.spec.states:
        if workflow.is_terminal(state) or state not in distance:
            continue
        steps = {name: step for name, step in workflow.human_steps_from(state).items()
                 if (step.by.role in ADMIN_ROLE_NAMES or step.by.relation == "holder") and step.to is not None
                 and distance.get(step.to, distance[state]) < distance[state]}
        if steps:
            result[state] = steps
    return result


def scope(session: Session, actor: ActorContext, community_id: int | None = None) -> dict[int, Region]:
    """The communities whose queue the admin sees (optionally one of them)."""
    governed = {c.id: c for c in admin_communities(session, actor)}
    if community_id is not None:
        return {community_id: governed[community_id]} if community_id in governed else {}
    return governed


def waiting(session: Session, actor: ActorContext, *, community_id: int | None = None, page: int = 1,
            per_page: int = 20, now: datetime | None = None) -> tuple[list[Waiting], int]:
    """Demands waiting on the admin, oldest first, one page of them; and how many in all."""
    now = now or utcnow()
    communities = scope(session, actor, community_id)
    plans = _plans(session, forward_admin_steps, actor)
    if not communities or not plans:
        return [], 0
    where = _where(communities, plans)
    total = session.scalar(select(func.count()).select_from(Demand).where(*where)) or 0
    rows = session.execute(select(Demand).where(*where).order_by(Demand.state_since, Demand.id)
                           .limit(per_page).offset((max(page, 1) - 1) * per_page)).scalars().all()
    kinds = _kinds(session, rows)
    return [_waiting(actor, demand, communities, plans, now, kinds) for demand in rows], total


def waiting_after(session: Session, actor: ActorContext, *, community_id: int | None = None,
                  after: tuple[datetime, int] | None = None, limit: int = 20, overdue: bool | None = None,
                  now: datetime | None = None) -> list[Waiting]:
    """Demands waiting on the admin, oldest first, after the (state_since, id) `after` (a
    cursor, for the API): up to `limit`; only the overdue ones (or only those not) when
    `overdue` is given. Reads in chunks, as whether a demand is overdue depends on its steps."""
    now = now or utcnow()
    communities = scope(session, actor, community_id)
    plans = _plans(session, forward_admin_steps, actor)
    if not communities or not plans:
        return []
    where = _where(communities, plans)
    chunk = max(limit, 100)
    result: list[Waiting] = []
    while len(result) < limit:
        query = select(Demand).where(*where)
        if after is not None:
            query = query.where(or_(Demand.state_since > after[0],
                                    and_(Demand.state_since == after[0], Demand.id > after[1])))
        rows = session.execute(query.order_by(Demand.state_since, Demand.id).limit(chunk)).scalars().all()
        kinds = _kinds(session, rows)
        for demand in rows:
            item = _waiting(actor, demand, communities, plans, now, kinds)
            if overdue is None or item.overdue == overdue:
                result.append(item)
        if len(rows) < chunk:
            break
        after = (rows[-1].state_since, rows[-1].id)
    return result[:limit]


def _kinds(session: Session, demands: Sequence[Demand]) -> dict[int, str]:
    """The names of these demands' task types, in one read."""
    ids = {d.task_type_id for d in demands}
    rows = session.execute(select(TaskType.id, TaskType.name).where(TaskType.id.in_(ids))).all() if ids else []
    return {row.id: row.name for row in rows}


def _waiting(actor: ActorContext, demand: Demand, communities: dict[int, Region], plans: dict[tuple[str, int], Plan],
             now: datetime, kinds: dict[int, str]) -> Waiting:
    workflow, steps = plans[(demand.workflow_id, demand.workflow_version)]
    community = communities[demand.community_id]
    mine = [(name, step) for name, step in steps[demand.state].items()
            if check_actor(actor, step.by, community_id=community.id, community_path=community.path,
                           demand=demand, claims=[]) is None]
    dues = [times.sla_due(step, demand) for _, step in mine if step.sla]
    due = min(dues) if dues else None
    return Waiting(demand, community.name, workflow.spec.title, workflow.state_title(demand.state),
                   tuple((name, step.title) for name, step in mine), due, due is not None and due <= now,
                   kinds.get(demand.task_type_id) or workflow.spec.title)


def attendance(session: Session, actor: ActorContext, *, community_id: int | None = None,
               limit: int = 50, offset: int = 0) -> tuple[list[Attendance], int]:
    """Demands whose participants' attendance the admin may confirm now, oldest first (one
    page), and how many in all."""
    communities = scope(session, actor, community_id)
    plans = _plans(session, attendance_states, actor=None)
    if not communities or not plans:
        return [], 0
    where = _where(communities, plans)
    total = session.scalar(select(func.count()).select_from(Demand).where(*where)) or 0
    demands = session.execute(select(Demand).where(*where).order_by(Demand.state_since, Demand.id)
                              .limit(limit).offset(offset)).scalars().all()
    counts = _attendance_counts(session, [d.id for d in demands])
    result = []
    for demand in demands:
        workflow, _ = plans[(demand.workflow_id, demand.workflow_version)]
        people, signed_in, signed_out = counts.get(demand.id, (0, 0, 0))
        result.append(Attendance(demand, communities[demand.community_id].name, workflow.state_title(demand.state),
                                 people, signed_in, signed_out))
    return result, total


def _attendance_counts(session: Session, demand_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    if not demand_ids:
        return {}
    rows = session.execute(
        select(Claim.demand_id, func.count(Claim.id), func.count(ServiceRecord.signed_in_at),
               func.count(ServiceRecord.signed_out_at))
        .outerjoin(ServiceRecord, ServiceRecord.claim_id == Claim.id)
        .where(Claim.demand_id.in_(demand_ids), Claim.user_id.is_not(None), Claim.status == ClaimStatus.ACTIVE)
        .group_by(Claim.demand_id))
    return {demand_id: (int(n), int(i), int(o)) for demand_id, n, i, o in rows}


Plan = tuple[CompiledWorkflow, dict[str, dict[str, HumanStep]]]


def _plans(session: Session, states_of, actor: ActorContext | None) -> dict[tuple[str, int], Plan]:
    """Per published (workflow, version), the states of interest and their steps; when `actor`
    is given, only the steps whose role the actor holds."""
    plans: dict[tuple[str, int], Plan] = {}
    for workflow_id, version, content_hash in session.execute(
            select(WorkflowVersion.workflow_id, WorkflowVersion.version, WorkflowVersion.content_hash)):
        workflow = registry.load(session, workflow_id, version, content_hash)
        states = states_of(workflow)
        if actor is not None:
            states = {state: kept for state, steps in states.items()
                      if (kept := {n: s for n, s in steps.items() if s.by.role is None or actor.has_role(s.by.role)})}
        if states:
            plans[(workflow_id, version)] = (workflow, states)
    return plans


def _where(communities: dict[int, Region], plans: dict[tuple[str, int], Plan]) -> list:
    # The plain IN on the states lets the (community, state) index skip finished demands.
    states = sorted({state for _, steps in plans.values() for state in steps})
    return [Demand.community_id.in_(sorted(communities)), Demand.state.in_(states),
            or_(*[and_(Demand.workflow_id == workflow_id, Demand.workflow_version == version, _in_states(steps))
                  for (workflow_id, version), (_, steps) in plans.items()])]


def _in_states(steps: dict[str, dict[str, HumanStep]]) -> ColumnElement[bool]:
    """In one of these states; where only the holder may move it, only while no organisation
    holds the demand (then its community's admins are the holder)."""
    anyone = sorted(state for state, by in steps.items() if any(s.by.relation != "holder" for s in by.values()))
    held = sorted(state for state in steps if state not in anyone)
    return or_(Demand.state.in_(anyone), and_(Demand.state.in_(held), Demand.org_id.is_(None)))
