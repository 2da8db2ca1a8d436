"""Reminders and confirmations before a demand's start (#17).

`due` carries out what has come due (the worker runs it every minute): reminders to the people
a step's `remind:` names, the request to confirm a place (`confirm:` on a claim step), and the
release of places still unconfirmed, so that the next member can claim. `confirm` is the
claimant's 确认参加; `awaiting` says whether someone is being asked for it now.

Each is done once: its event carries a unique key built from the demand, the plan and the
start time it was computed from (flows.engine.plans), so a second pass, a second worker or a
retried flow finds the key taken and does nothing. Each runs in its own transaction whose
first write locks the demand and proves it is still in the state and at the start time the
plan was made from; messages go through `notices.post`, in that transaction.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from flows.core import journal
from flows.core.db import in_transaction
from flows.core.i18n import N_
from flows.core.refusals import Refused
from flows.core.sql import changed
from flows.engine import effects, notices, plans, replays
from flows.engine.door import once
from flows.engine.outcomes import Outcome
from flows.people.actors import ActorContext, load_actor
from flows.reporting import tallies
from flows.workflow import registry
from flows.workflow.compiled import CompiledWorkflow
from schemas.clock import utcnow
from schemas.tables import Claim, ClaimStatus, Demand, Event, WorkflowVersion
from schemas.workflow import ConfirmSpec, NotifySpec

CONFIRM_TITLE = N_("确认参加")
_KEYS_PER_QUERY = 500


# ---- the worker's pass -------------------------------------------------------------------

def due(session: Session, now: datetime | None = None) -> dict[str, int]:
    """Carry out every reminder, confirmation request and release that has come due; returns
    how many of each were done. Safe to run twice, and cheap: one indexed range of start times
    (demands starting within the longest `before` of any workflow), one query for the keys
    already used and one for their claims, then one short transaction per thing to do."""
    now = now or utcnow()
    reach = horizon(session)
    if reach <= timedelta(0):
        return {}
    rows = session.execute(select(Demand.id, Demand.workflow_id, Demand.workflow_version, Demand.workflow_hash,
                                  Demand.state, Demand.starts_at)
                           .where(Demand.starts_at > now, Demand.starts_at <= now + reach)
                           .order_by(Demand.starts_at, Demand.id)).all()
    todo = []
    for row in rows:
        workflow = registry.load(session, row.workflow_id, row.workflow_version, row.workflow_hash)
        todo += [(row, plan) for plan in plans.due(workflow, row.id, row.state, row.starts_at, now)]
    used = _used_keys(session, [plan.key for _, plan in todo])
    todo = _with_someone(session, [(row, plan) for row, plan in todo if plan.key not in used])
    session.rollback()  # end the read before the writes
    counts: Counter[str] = Counter()
    for row, plan in todo:
        if _carry_out(session, row.id, row.state, row.starts_at, plan, now):
            counts[plan.kind] += 1
    return dict(counts)


_CLAIMANTS = ("claimant", "claimants", "participants")


def _with_someone(session: Session, todo: list[tuple[Any, plans.Plan]]) -> list[tuple[Any, plans.Plan]]:
    """The plans someone would hear of, read in one query of the demands' member claims: a
    demand nobody has claimed yet (or a claim step nobody used, or whose claims are all
    confirmed) costs no transaction, pass after pass. Other recipients (the requester, admins)
    are left to the transaction to find."""
    ids = sorted({row.id for row, _ in todo})
    held: dict[int, list[Any]] = {}
    for i in range(0, len(ids), _KEYS_PER_QUERY):
        for claim in session.execute(select(Claim.demand_id, Claim.step, Claim.status, Claim.confirmed_at,
                                            Claim.created_at).where(
                Claim.demand_id.in_(ids[i:i + _KEYS_PER_QUERY]), Claim.user_id.is_not(None),
                Claim.status.in_([ClaimStatus.ACTIVE, ClaimStatus.DONE]))):
            held.setdefault(claim.demand_id, []).append(claim)
    kept = []
    for row, plan in todo:
        claims = held.get(row.id, [])
        if plan.remind is not None:
            if plan.remind.to not in _CLAIMANTS or claims:
                kept.append((row, plan))
        elif plan.confirm is not None:
            asked = row.starts_at - plan.confirm.before
            if any(c.step == plan.step and c.status == ClaimStatus.ACTIVE and c.confirmed_at is None
                   and c.created_at < asked for c in claims):
                kept.append((row, plan))
    return kept


def horizon(session: Session) -> timedelta:
    """The longest `before` of any stored workflow version: how far ahead a pass looks."""
    rows = session.execute(select(WorkflowVersion.workflow_id, WorkflowVersion.version, WorkflowVersion.content_hash))
    return max((plans.horizon(registry.load(session, w, v, h)) for w, v, h in rows), default=timedelta(0))


def _used_keys(session: Session, keys: list[str]) -> set[str]:
    used: set[str] = set()
    for i in range(0, len(keys), _KEYS_PER_QUERY):
        chunk = keys[i:i + _KEYS_PER_QUERY]
        used.update(session.scalars(select(Event.request_key).where(Event.request_key.in_(chunk))))
    return used


def _carry_out(session: Session, demand_id: int, state: str, starts_at: datetime, plan: plans.Plan,
               now: datetime) -> bool:
    """One plan in one transaction; False when it turned out not to be needed (the demand
    moved on, nobody to tell) or another pass did it first."""
    def work() -> bool:
        # first write: lock the demand, and proof that it is where the plan was made from
        if changed(session, update(Demand).where(Demand.id == demand_id, Demand.state == state,
                                                 Demand.starts_at == starts_at)
                   .values(state=Demand.state).execution_options(synchronize_session=False)) != 1:
            return False
        demand = session.get_one(Demand, demand_id)
        workflow = registry.load(session, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
        if plan.kind == "remind":
            return _remind(session, demand, workflow, plan, now)
        if plan.kind == "ask":
            return _ask(session, demand, workflow, plan, now)
        return _release(session, demand, workflow, plan, now)

    try:
        return in_transaction(session, work)
    except IntegrityError:
        return False  # the key is taken: another pass did it


def _event(session: Session, demand: Demand, workflow: CompiledWorkflow, name: str, now: datetime,
           data: dict[str, Any], topic: str, *, actor_id: int | None = None, key: str | None = None) -> int:
    """The event of a reminder, request, release, confirmation or new time (`name`: `<step>:remind`…)."""
    return journal.record(session, subject="demand", subject_id=demand.id, demand_id=demand.id,
                          step=name[:48], from_state=demand.state, to_state=demand.state,
                          actor_id=actor_id, at=now, data=data, topic=topic, request_key=key,
                          payload={"workflow": workflow.id, "version": demand.workflow_version,
                                   "community_id": demand.community_id})


def _tell(session: Session, demand: Demand, workflow: CompiledWorkflow, plan: plans.Plan, kind: str,
          users: list[int], template: str, now: datetime, extra: dict[str, Any], topic: str) -> None:
    composed = notices.compose(session, demand, workflow, NotifySpec(to="claimants", template=template))
    event_id = _event(session, demand, workflow, f"{plan.step}:{kind}", now,
                      {**extra, "users": users, "message": composed.title, "message_en": composed.render("en")[0],
                       "starts_at": demand.starts_at.isoformat() if demand.starts_at else None}, topic, key=plan.key)
    # the template's category (reminder: SMS is mandatory), its words in each reader's language
    notices.post(session, event_id=event_id, demand=demand, users=users, kind=f"{plan.step}:{kind}"[:48],
                 title=composed.title, body=composed.body, now=now, category=composed.category,
                 render=composed.render, short=composed.short)


def _remind(session: Session, demand: Demand, workflow: CompiledWorkflow, plan: plans.Plan, now: datetime) -> bool:
    assert plan.remind is not None
    users = effects.notify_users(session, demand, plan.remind.to)
    if not users:
        return False  # nobody to remind yet: a later pass finds whoever claims meanwhile
    _tell(session, demand, workflow, plan, "remind", users, plan.remind.template, now,
          {"before": int(plan.remind.before.total_seconds() // 60)}, "yijia.notify")
    return True


def unconfirmed(session: Session, demand: Demand, step: str, spec: ConfirmSpec) -> list[Claim]:
    """The active member claims made by `step` before confirmation was asked and not yet
    confirmed. A claim made after the request needs none: signing up that late is itself the
    confirmation."""
    if demand.starts_at is None:
        return []
    return list(session.scalars(select(Claim).where(
        Claim.demand_id == demand.id, Claim.step == step, Claim.status == ClaimStatus.ACTIVE,
        Claim.user_id.is_not(None), Claim.confirmed_at.is_(None),
        Claim.created_at < demand.starts_at - spec.before).order_by(Claim.id)))


def _ask(session: Session, demand: Demand, workflow: CompiledWorkflow, plan: plans.Plan, now: datetime) -> bool:
    assert plan.confirm is not None
    users = [c.user_id for c in unconfirmed(session, demand, plan.step, plan.confirm) if c.user_id is not None]
    if not users:
        return False
    _tell(session, demand, workflow, plan, "ask", users, plan.confirm.template, now, {}, "yijia.notify")
    return True


def _release(session: Session, demand: Demand, workflow: CompiledWorkflow, plan: plans.Plan, now: datetime) -> bool:
    """Take back the places still unconfirmed: the claims are withdrawn, the demand's count of
    places taken goes down (the next member can claim), and their holders are told."""
    assert plan.confirm is not None
    ids = [c.id for c in unconfirmed(session, demand, plan.step, plan.confirm)]
    if not ids:
        return False
    released = session.execute(update(Claim).where(Claim.id.in_(ids), Claim.status == ClaimStatus.ACTIVE,
                                                   Claim.confirmed_at.is_(None))
                               .values(status=ClaimStatus.WITHDRAWN).returning(Claim.id, Claim.user_id)
                               .execution_options(synchronize_session=False)).all()
    if not released:
        return False
    session.execute(update(Demand).where(Demand.id == demand.id)
                    .values(taken=Demand.taken - len(released), rev=Demand.rev + 1)
                    .execution_options(synchronize_session=False))
    session.refresh(demand)
    withdrawn = [claim_id for claim_id, _ in released]
    tallies.claims_withdrawn(session, demand, workflow.spec.category, withdrawn)
    _tell(session, demand, workflow, plan, "release", [user for _, user in released if user is not None],
          plan.confirm.release_template,
          now, {"withdrawn": withdrawn}, "yijia.demand.released")
    return True


# ---- the claimant's 确认参加 ----------------------------------------------------------------

def awaiting(session: Session, actor: ActorContext, demand: Demand, workflow: CompiledWorkflow,
             now: datetime | None = None) -> tuple[str, Claim] | None:
    """(claim step, claim) whose confirmation the person is asked for now, or None: their own
    active claim from a step with `confirm:`, made before the request, not yet confirmed, the
    demand still where the step may be taken and not yet started."""
    now = now or utcnow()
    if demand.starts_at is None or now >= demand.starts_at or actor.user_id is None:
        return None
    for name, step in workflow.human_steps_from(demand.state).items():
        if step.confirm is None or now < demand.starts_at - step.confirm.before:
            continue
        for claim in unconfirmed(session, demand, name, step.confirm):
            if claim.user_id == actor.user_id:
                return name, claim
    return None


def confirm(session: Session, actor: ActorContext | int, demand_id: int, *, request_key: str | None = None,
            now: datetime | None = None) -> Outcome:
    """The claimant confirms their place (确认参加), or Refused with nothing written; sent
    again with the same one-time key, the first outcome is answered."""
    now = now or utcnow()
    context = actor if isinstance(actor, ActorContext) else load_actor(session, actor)
    if context is None:
        raise Refused("role")
    key = replays.scoped(context.user_id, request_key)
    return once(session, key, lambda: _confirm(session, context, demand_id, now, key))


def _confirm(session: Session, actor: ActorContext, demand_id: int, now: datetime, key: str | None) -> Outcome:
    demand = session.get(Demand, demand_id)
    if demand is None:
        raise Refused("not_found")
    workflow = registry.load(session, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
    found = awaiting(session, actor, demand, workflow, now)
    if found is None:
        raise Refused("confirm.none")
    step, claim = found
    observed = demand.state

    def work() -> Outcome:
        if changed(session, update(Demand).where(Demand.id == demand.id, Demand.state == observed)
                   .values(state=Demand.state).execution_options(synchronize_session=False)) != 1:
            raise Refused("confirm.none")  # first write: the lock; the demand moved on meanwhile
        if changed(session, update(Claim).where(Claim.id == claim.id, Claim.status == ClaimStatus.ACTIVE,
                                                Claim.confirmed_at.is_(None))
                   .values(confirmed_at=now).execution_options(synchronize_session=False)) != 1:
            raise Refused("confirm.none")  # released (or confirmed) meanwhile
        event_id = _event(session, demand, workflow, f"{step}:confirm", now,
                          {"claim_id": claim.id, "step_title": CONFIRM_TITLE}, "yijia.demand.confirmed",
                          actor_id=actor.user_id, key=key)
        return Outcome(demand_id=demand.id, step=f"{step}:confirm", step_title=CONFIRM_TITLE, from_state=observed,
                       to_state=observed, state_title=workflow.state_title(observed), event_id=event_id)

    return in_transaction(session, work)

