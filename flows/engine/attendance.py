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

from flows.workflow.compiled import CompiledWorkflow
from schemas.tables import Claim, ClaimStatus, ServiceRecord, User
from schemas.workflow import HumanStep

ATTENDANCE_RECORDS = ("sign_in", "sign_out")


@dataclass(frozen=True)
class Participant:
    """A member holding an active claim, with what their service record says so far."""

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
    """Members with an active claim on the demand, in the order they signed up."""
    rows = session.execute(
        select(Claim.user_id, User.display_name, ServiceRecord.signed_in_at, ServiceRecord.signed_out_at,
               ServiceRecord.hours)
        .join(User, User.id == Claim.user_id).outerjoin(ServiceRecord, ServiceRecord.claim_id == Claim.id)
        .where(Claim.demand_id == demand_id, Claim.status == ClaimStatus.ACTIVE, Claim.user_id.is_not(None))
        .order_by(Claim.id)).all()
    return [Participant(int(user_id or 0), name, signed_in, signed_out, float(hours) if hours is not None else None)
            for user_id, name, signed_in, signed_out, hours in rows]


def open_for(participant: Participant, step: HumanStep) -> bool:
    """Whether the step can still be confirmed for the participant, as its record writer
    would accept it (a sign-in once; a sign-out once, after the sign-in)."""
    if step.record == "sign_in":
        return participant.signed_in_at is None
    return participant.signed_in_at is not None and participant.signed_out_at is None
