"""Stuck cases: demands waiting for a step longer than its SLA allows.

Read from the database (the source of truth), so the same list feeds the admin dashboard,
the Prefect monitor flow and its `stuck-demands` artifact.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from flows.workflow import registry
from schemas.tables import Demand, Region, WorkflowVersion
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
    escalated: bool


def overdue(session: Session, now: datetime | None = None, community_paths: list[str] | None = None,
            limit: int = 500) -> list[Stuck]:
    """Every non-terminal demand past the SLA of a step it waits for, oldest first."""
    now = now or datetime.now(UTC)
    query = select(Demand, Region.name).join(Region, Region.id == Demand.community_id).order_by(Demand.state_since)
    if community_paths is not None:
        from sqlalchemy import or_

        if not community_paths:
            return []
        query = query.where(or_(*[Region.path.startswith(p) for p in community_paths]))
    result: list[Stuck] = []
    for version in _versions(session):
        workflow = registry.load(session, *version)
        waiting = {state: [(n, s, s.sla) for n, s in workflow.human_steps_from(state).items()
                           if isinstance(s, HumanStep) and s.sla]
                   for state in workflow.spec.states if not workflow.is_terminal(state)}
        # One query per waiting state, only rows already past the shortest SLA, oldest first:
        # each is an ordered range of the (state, state_since) index that stops at `limit`
        # (one query over all states sorted every waiting demand: 350 ms at a million).
        rows: list[Row[Demand, str]] = []
        for state, steps in waiting.items():
            if not steps:
                continue
            cutoff = now - min(sla.within for _, _, sla in steps)
            rows += session.execute(query.where(Demand.state == state, Demand.state_since <= cutoff,
                                                Demand.workflow_id == version[0],
                                                Demand.workflow_version == version[1]).limit(limit)).all()
        for demand, community in rows:
            for name, step, sla in waiting[demand.state]:
                due = demand.state_since + sla.within
                if due <= now:
                    policy = sla.then if isinstance(sla.then, str) else "complete_with"
                    result.append(Stuck(demand.id, demand.title, workflow.id, workflow.spec.title, name, step.title,
                                        workflow.state_title(demand.state), demand.state_since, due, community,
                                        policy, demand.escalated_at is not None))
                    break
    result.sort(key=lambda s: s.since)
    return result[:limit]


def _versions(session: Session) -> list[tuple[str, int, str]]:
    """The published versions (a few rows; a DISTINCT over the demands read them all)."""
    return [(w, v, h) for w, v, h in session.execute(
        select(WorkflowVersion.workflow_id, WorkflowVersion.version, WorkflowVersion.content_hash))]
