"""Stuck cases: demands waiting for a step longer than its SLA allows.

Read from the database (the source of truth), so the same list feeds the admin dashboard
(complete and paged, with who holds each case and how long it waits), the Prefect monitor
flow and its per-district `stuck-demands` artifacts.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from flows.engine import times
from flows.engine.escalations import Holder, describe, holders_of
from flows.people.regions import district_id
from flows.workflow import registry
from flows.workflow.compiled import CompiledWorkflow
from schemas.clock import utcnow
from schemas.tables import Demand, Escalation, Region, WorkflowVersion
from schemas.workflow import HumanStep


@dataclass(frozen=True)
class Stuck:
    demand_id: int
    title: str
    workflow: str
    workflow_title: str
    step: str
    step_title: str
    state_title: str
    since: datetime
    due: datetime
    community: str
    policy: str
    escalated: bool  # this step, in this stay of the demand in its state
    district_id: int | None = None
    holders: list[Holder] = field(default_factory=list)
    escalated_to: list[Holder] = field(default_factory=list)
    waited: timedelta = timedelta(0)


def overdue(session: Session, now: datetime | None = None, community_paths: list[str] | None = None,
            limit: int = 500, offset: int = 0) -> list[Stuck]:
    """Non-terminal demands past the SLA of a step they wait for, oldest first, one page."""
    now = now or utcnow()
    if community_paths is not None and not community_paths:
        return []
    rows: list[tuple[Demand, str, str, CompiledWorkflow]] = []
    for workflow, query in _ranges(session, now, community_paths):
        # each an ordered range of the (workflow, state, state_since) index, stopping at the page;
        # the id breaks ties, or demands entering a state at the same moment would straddle the
        # cut in any order and a page could repeat one and skip another
        for demand, community, path in session.execute(query.order_by(Demand.state_since, Demand.id)
                                                       .limit(offset + limit)):
            rows.append((demand, community, path, workflow))
    rows.sort(key=lambda r: (r[0].state_since, r[0].id))
    page = rows[offset:offset + limit]
    escalated = _escalated(session, [d for d, _, _, _ in page])
    result = []
    for demand, community, path, workflow in page:
        name, step = _waiting(workflow, demand, now)
        assert step.sla is not None  # _waiting picks among the steps with an SLA
        policy = step.sla.then if isinstance(step.sla.then, str) else "complete_with"
        holders, _ = holders_of(session, workflow, demand, name)
        mark = escalated.get((demand.id, name))
        result.append(Stuck(demand.id, demand.title, workflow.id, workflow.spec.title, name, step.title,
                            workflow.state_title(demand.state), demand.state_since,
                            times.sla_due(step, demand), community, policy, mark is not None,
                            district_id(path), holders, describe(session, mark.targets or []) if mark else [],
                            now - demand.state_since))
    return result


def count_overdue(session: Session, now: datetime | None = None, community_paths: list[str] | None = None) -> int:
    """How many demands `overdue` would list without a page limit."""
    now = now or utcnow()
    if community_paths is not None and not community_paths:
        return 0
    return sum(session.scalar(select(func.count()).select_from(query.subquery())) or 0
               for _, query in _ranges(session, now, community_paths))


def _ranges(session: Session, now: datetime, community_paths: list[str] | None):
    """(workflow, query) per published version and waiting state: the demands there already
    past the shortest SLA of the steps they wait for (one query over all states sorted every
    waiting demand: 350 ms at a million)."""
    base = select(Demand, Region.name, Region.path).join(Region, Region.id == Demand.community_id)
    if community_paths is not None:
        base = base.where(or_(*[Region.path.startswith(p) for p in community_paths]))
    for workflow_id, version, content_hash in _versions(session):
        workflow = registry.load(session, workflow_id, version, content_hash)
        for state in workflow.spec.states:
            steps = _sla_steps(workflow, state)
            if not steps or workflow.is_terminal(state):
                continue
            cutoff = now - min(step.sla.within for _, step in steps if step.sla)
            # past some step's SLA, counted from the step's opening where the start holds it back
            late = or_(*[_late(step, now) for _, step in steps])
            yield workflow, base.where(Demand.workflow_id == workflow_id, Demand.state == state,
                                       Demand.workflow_version == version, Demand.state_since <= cutoff, late)


def _late(step: HumanStep, now: datetime):
    """The SQL of times.sla_due(step, demand) <= now (the range on state_since leads)."""
    assert step.sla is not None
    entered = Demand.state_since <= now - step.sla.within
    if step.lead is None:
        return entered
    return and_(entered, or_(Demand.starts_at.is_(None), Demand.starts_at <= now - step.sla.within + step.lead))


def _sla_steps(workflow: CompiledWorkflow, state: str) -> list[tuple[str, HumanStep]]:
    return [(n, s) for n, s in workflow.human_steps_from(state).items() if s.sla]


def _waiting(workflow: CompiledWorkflow, demand: Demand, now: datetime) -> tuple[str, HumanStep]:
    """The overdue step a demand waits for (the first whose SLA has passed)."""
    steps = _sla_steps(workflow, demand.state)
    return next(((n, s) for n, s in steps if s.sla and times.sla_due(s, demand) <= now), steps[0])


def _escalated(session: Session, demands: list[Demand]) -> dict[tuple[int, str], Escalation]:
    """The escalations of these demands' current stays, by (demand, step)."""
    if not demands:
        return {}
    since = {d.id: d.state_since for d in demands}
    rows = session.scalars(select(Escalation).where(Escalation.demand_id.in_(list(since))))
    return {(e.demand_id, e.step): e for e in rows if e.entered_at == since[e.demand_id]}


def _versions(session: Session) -> list[tuple[str, int, str]]:
    """The published versions (a few rows; a DISTINCT over the demands read them all)."""
    return [(w, v, h) for w, v, h in session.execute(
        select(WorkflowVersion.workflow_id, WorkflowVersion.version, WorkflowVersion.content_hash))]
