"""Attendance (出勤): who signed up for a demand and whether they signed in and out, and the
claimants' attendance steps an admin may confirm for them, as the paper sheet used to.

The steps are read from the workflow: a claimant's step without a form whose record is a
sign-in or a sign-out (the DSL's `record:` vocabulary), never a step's name.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.core.refusals import Refused
from flows.engine.outcomes import Outcome
from flows.people.actors import ActorContext
from flows.workflow.compiled import CompiledWorkflow
from schemas.clock import utcnow
from schemas.tables import Claim, ClaimStatus, Demand, Role, ServiceRecord, User
from schemas.workflow import HumanStep

ATTENDANCE_RECORDS = ("sign_in", "sign_out")


@dataclass(frozen=True)
class Participant:
    """A member holding a claim not withdrawn (active, or done with the demand), with what their
    service record says so far."""

    user_id: int
    name: str
    signed_in_at: datetime | None
    signed_out_at: datetime | None
    hours: float | None


def attendance_steps(workflow: CompiledWorkflow, state: str) -> dict[str, HumanStep]:
    """The attendance steps a claimant may take in `state` (an admin may confirm them)."""
    return {name: step for name, step in workflow.human_steps_from(state).items()
            if step.by.relation == "claimant" and step.record in ATTENDANCE_RECORDS and not step.form}


def attendance_states(workflow: CompiledWorkflow) -> dict[str, dict[str, HumanStep]]:
    """Per state, its attendance steps (states without any are left out)."""
    return {state: steps for state in workflow.spec.states if (steps := attendance_steps(workflow, state))}


def participants(session: Session, demand_id: int) -> list[Participant]:
    """Members with a place on the demand (held now, or held when it ended: a finished
    activity's sheet still shows who came), in the order they signed up."""
    rows = session.execute(
        select(Claim.user_id, User.display_name, ServiceRecord.signed_in_at, ServiceRecord.signed_out_at,
               ServiceRecord.hours)
        .join(User, User.id == Claim.user_id).outerjoin(ServiceRecord, ServiceRecord.claim_id == Claim.id)
        .where(Claim.demand_id == demand_id, Claim.status != ClaimStatus.WITHDRAWN, Claim.user_id.is_not(None))
        .order_by(Claim.id)).all()
    return [Participant(int(user_id or 0), name, signed_in, signed_out, float(hours) if hours is not None else None)
            for user_id, name, signed_in, signed_out, hours in rows]


def vouch_opens(demand: Demand, step: HumanStep) -> datetime | None:
    """From when an admin may confirm the step for someone: the sheet is read after the event
    (the window's end does not bind it), but nobody came before the window opened."""
    if "in_time_window" in step.guards and demand.starts_at is not None:
        return demand.starts_at - step.time_window.opens
    return None


def open_for(participant: Participant, step: HumanStep, demand: Demand | None = None,
             now: datetime | None = None) -> bool:
    """Whether the step can be confirmed for the participant now, as its record writer would
    accept it (a sign-in once; a sign-out once, after the sign-in), and the door (not before
    `vouch_opens`)."""
    opens = vouch_opens(demand, step) if demand is not None else None
    if opens is not None and (now or utcnow()) < opens:
        return False
    if step.record == "sign_in":
        return participant.signed_in_at is None
    return participant.signed_in_at is not None and participant.signed_out_at is None


@dataclass(frozen=True)
class Sheet:
    """A demand's attendance sheet as its community admin sees it: the attendance steps that
    can be confirmed in its state, and the participants."""

    demand: Demand
    workflow: CompiledWorkflow
    steps: dict[str, HumanStep]
    people: list[Participant]


def sheet(session: Session, actor: ActorContext, demand_id: int) -> Sheet | None:
    """The sheet of a demand the actor sees and governs as a community admin; None otherwise
    (not there, or not theirs: the page or the API says 'not found')."""
    from flows.engine import visibility
    from flows.workflow import registry

    demand = visibility.visible_demand(session, actor, demand_id)
    if demand is None or not actor.in_scope(Role.COMMUNITY_ADMIN, demand.community.path):
        return None
    workflow = registry.load(session, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
    return Sheet(demand, workflow, attendance_steps(workflow, demand.state), participants(session, demand.id))


def confirm(session: Session, actor: ActorContext, found: Sheet, step: str, user_id: int, *,
            request_key: str | None = None, now: datetime | None = None) -> Outcome:
    """Confirm a participant's attendance step for them, through the engine: only a step of the
    sheet in the demand's state (else the engine's own 'not in this state' refusal), only for
    a participant (else not found)."""
    from flows import engine

    if all(p.user_id != user_id for p in found.people):
        raise Refused("attendance.not_found")  # not a participant of this demand
    if step not in found.steps:
        spec = found.workflow.step(step)
        raise Refused("state", {"state": found.workflow.state_title(found.demand.state),
                                "step": spec.title if spec else step})
    return engine.act(session, actor, found.demand.id, step, {}, on_behalf_of=user_id, request_key=request_key,
                      now=now)
