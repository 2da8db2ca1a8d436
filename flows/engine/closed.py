"""Why a claim step the hall offered is not open to this person.

The hall lists what someone of the person's role could join (a member sees the activities
members sign up to), but the step may still be closed to them: only the grabbing
organisation's members sign up to its activity, a wish needs a skill they lack, the places
are taken, the time is over. The page then says why, instead of showing no button and no
reason. The answers are the engine's own checks (the same refusal codes the step would give
on submit), asked without writing anything.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from flows.engine import times
from flows.engine.claims import active_claims
from flows.engine.permissions import Refusal, check_actor, check_guards
from flows.people.actors import ActorContext
from flows.workflow import registry
from schemas.clock import utcnow
from schemas.tables import Demand, Organisation, Region
from schemas.workflow import HumanStep

# Guards a person cannot settle before the step: being at the door (checked when they scan).
_AT_THE_TIME = frozenset({"on_site"})


@dataclass(frozen=True)
class Closed:
    """A claim step from the demand's state that the person may not take, and why."""

    step: str
    title: str
    refusal: Refusal


def closed_claims(session: Session, actor: ActorContext, demand: Demand, *,
                  now: datetime | None = None) -> list[Closed]:
    """The claim steps of the demand's state meant for the actor's role that they cannot take,
    each with the first reason: over, full, not who the step names, a guard. A step the page
    offers (its capacity and most guards are decided on submit) is asked too, so the reason
    comes before the tap, not after it. Nothing for the requester or for one who already holds
    a place: the page tells them what comes next instead."""
    if actor.is_system or demand.requester_id == actor.user_id:
        return []
    claims = active_claims(session, demand.id)
    if any(c.user_id == actor.user_id for c in claims):
        return []
    workflow = registry.load(session, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
    now = now or utcnow()
    closed = []
    for name, step in workflow.human_steps_from(demand.state).items():
        if step.claim is None or (step.by.role is not None and not actor.has_role(step.by.role)):
            continue
        refusal = _why(session, actor, demand, step, claims, now)
        if refusal is not None:
            closed.append(Closed(name, step.title, refusal))
    return closed


def _why(session: Session, actor: ActorContext, demand: Demand, step: HumanStep, claims, now: datetime) -> Refusal | None:
    over = times.closed_to_claims(step, demand, now)
    if over is not None:
        return over
    if step.claim is not None and step.claim.capacity == "demand" and demand.taken >= demand.capacity:
        return Refusal("full", {})
    community = session.get_one(Region, demand.community_id)
    refusal = check_actor(actor, step.by, community_id=demand.community_id, community_path=community.path,
                          demand=demand, claims=claims)
    if refusal is not None:
        return _plain(session, step, demand, refusal)
    return check_guards(session, actor, [g for g in step.guards if g not in _AT_THE_TIME], demand, now=now,
                        window=step.time_window)


def _plain(session: Session, step: HumanStep, demand: Demand, refusal: Refusal) -> Refusal:
    """The refusal in the words of who the step is for: "only the members of 某某党支部", "report
    in to this community first", rather than "you may not do this step"."""
    relation = step.by.relation
    if relation == "claiming_org" and demand.org_id is not None:
        org = session.get(Organisation, demand.org_id)
        return Refusal("closed.claiming_org", {"org": org.name if org else ""})
    if relation in ("community", "registered") and refusal.code == "scope":
        return Refusal("guard.registered_in_community", {})
    if relation == "registered_org":
        return Refusal("closed.registered_org", {})
    return refusal
