"""Automated steps (award points, notify): done as soon as a demand reaches their state, each
guarded like a human step so that running them twice does them once."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from flows.core.db import in_transaction
from flows.core.refusals import Refused
from flows.core.sql import changed
from flows.engine import effects
from flows.engine.writes import close_claims, record_event
from flows.workflow import registry
from flows.workflow.compiled import CompiledWorkflow
from schemas.clock import utcnow
from schemas.tables import Demand


def run_due(session: Session, demand: Demand, workflow: CompiledWorkflow, now: datetime) -> list[int]:
    """Do every automated step now due, each guarded like a human step; returns event ids."""
    events = []
    for _ in range(len(workflow.spec.steps)):
        due = workflow.auto_step_from(demand.state)
        if due is None:
            break
        name, spec = due
        done = changed(session, update(Demand).where(Demand.id == demand.id, Demand.state == spec.from_)
                               .values(state=spec.to, state_since=now, rev=Demand.rev + 1, escalated_at=None)
                               .execution_options(synchronize_session=False))
        session.refresh(demand)
        if done != 1:
            break  # another worker advanced it first: nothing left for us to do
        credited: list[dict[str, Any]] = []
        for index, effect in enumerate(spec.effects):
            if hasattr(effect, "points"):
                credited += effects.award(session, demand, workflow, name, index, effect.points)
            else:
                effects.notify(session, demand, effect.notify, name, workflow)
        event_id = record_event(session, demand, workflow, name, spec.from_, spec.to, None, {"credited": credited}, now)
        events.append(event_id)
        effects.tell_credited(session, demand, event_id, credited, now)
        if workflow.is_terminal(demand.state):
            close_claims(session, demand)
    return events


def advance(session: Session, demand_id: int, *, now: datetime | None = None) -> list[int]:
    """Run the automated steps due on a demand and commit; safe to call any number of times."""
    now = now or utcnow()
    demand = session.get(Demand, demand_id)
    if demand is None:
        raise Refused("not_found")
    workflow = registry.load(session, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
    if workflow.auto_step_from(demand.state) is None:
        session.rollback()
        return []
    return in_transaction(session, lambda: run_due(session, demand, workflow, now))

