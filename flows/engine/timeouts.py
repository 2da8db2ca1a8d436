"""SLA policies: when a step waits past its deadline, escalate, complete it with the
workflow's defaults, or cancel the demand. Safe to apply twice (automation and monitor):
each step escalates once per stay of the demand in its state, and a stay ends with any move."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from flows.core import journal
from flows.core.db import in_transaction
from flows.core.i18n import SOURCE, render
from flows.core.refusals import Refused
from flows.core.sql import changed
from flows.engine import notices, times
from flows.engine.door import act
from flows.engine.escalations import escalation_targets
from flows.engine.writes import close_claims, record_event
from flows.people.actors import ActorContext
from flows.workflow import registry
from flows.workflow.compiled import CompiledWorkflow
from schemas.clock import utcnow
from schemas.tables import Demand, Escalation
from schemas.workflow import CompleteWith, HumanStep


def apply_timeout(session: Session, demand_id: int, step: str, *, now: datetime | None = None) -> str | None:
    """Apply `step`'s SLA policy if the demand still waits for it past its deadline.

    Returns what was done ("escalate", "cancel", "complete") or None when nothing was due;
    safe to call twice (the automation and the monitor may both try).
    """
    now = now or utcnow()
    demand = session.get(Demand, demand_id)
    if demand is None:
        return None
    workflow = registry.load(session, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
    spec = workflow.step(step)
    if not isinstance(spec, HumanStep) or spec.sla is None or demand.state not in spec.sources:
        session.rollback()
        return None
    if times.sla_due(spec, demand) > now:  # not due yet (a step its start holds back runs late)
        session.rollback()
        return None
    policy = spec.sla.then
    if isinstance(policy, CompleteWith):
        try:
            act(session, ActorContext.system(), demand_id, step, policy.complete_with, now=now)
        except Refused:
            return _escalate(session, demand, workflow, step, now)
        return "complete"
    if policy == "cancel":
        return _cancel(session, demand, workflow, step, now)
    return _escalate(session, demand, workflow, step, now)


def _escalate(session: Session, demand: Demand, workflow: CompiledWorkflow, step: str, now: datetime) -> str | None:
    """Escalate the step once for this stay of the demand in its state, to the people
    responsible (its holders and the level above); the mark is the step's and this stay's."""
    entered, state = demand.state_since, demand.state
    spec = workflow.step(step)
    assert isinstance(spec, HumanStep) and spec.sla is not None
    due = times.sla_due(spec, demand)
    targets = escalation_targets(session, workflow, demand, step)

    def work() -> str | None:
        # first write, and the proof that the demand is still where the SLA ran out
        still = changed(session, update(Demand).where(Demand.id == demand.id, Demand.state == state,
                                                      Demand.state_since == entered)
                        .values(escalated_at=func.coalesce(Demand.escalated_at, now))
                        .execution_options(synchronize_session=False))
        if still != 1:
            return None
        try:
            with session.begin_nested():
                session.add(Escalation(demand_id=demand.id, step=step, state=state, entered_at=entered,
                                       due_at=due, escalated_at=now, targets=targets))
        except IntegrityError:
            return None  # this step was escalated already in this stay: once is enough
        session.refresh(demand)
        event_id = journal.record(session, subject="demand", subject_id=demand.id, demand_id=demand.id,
                                  step=f"{step}:overdue",
                       from_state=state, to_state=state, actor_id=None, at=now,
                       data={"policy": "escalate", "escalated_to": targets}, topic="yijia.demand.overdue",
                       payload={"workflow": workflow.id, "version": demand.workflow_version, "waiting_for": step,
                                "community_id": demand.community_id})
        # the people responsible hear of it now, not when they next open their queue
        notices.post(session, event_id=event_id, demand=demand, users=notices.users_of(session, targets),
                     kind=f"{step}:overdue", title=render("notice.overdue", {"step": spec.title}, SOURCE),
                     body=demand.title, now=now, category="escalation",
                     render=lambda lang: (render("notice.overdue", {"step": spec.title}, lang), demand.title))
        return "escalate"

    return in_transaction(session, work)


def _cancel(session: Session, demand: Demand, workflow: CompiledWorkflow, step: str, now: datetime) -> str | None:
    # The compiler guarantees a terminal state meaning `cancelled` for `then: cancel`.
    cancelled = workflow.states_with_outcome("cancelled")[0]

    def work() -> str | None:
        observed = demand.state
        done = changed(session, update(Demand).where(Demand.id == demand.id, Demand.state == observed)
                               .values(state=cancelled, state_since=now, rev=Demand.rev + 1, escalated_at=None)
                               .execution_options(synchronize_session=False))
        if done != 1:
            return None
        session.refresh(demand)
        record_event(session, demand, workflow, f"{step}:timeout", observed, cancelled, None, {"policy": "cancel"}, now)
        close_claims(session, demand)
        return "cancel"

    return in_transaction(session, work)

