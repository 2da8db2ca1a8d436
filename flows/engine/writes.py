"""The writes every step shares: the guarded UPDATE that decides who won, the event (and its
outbox row), closing the claims of a finished demand, and the answer to the caller."""
from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from flows.core import journal
from flows.core.refusals import Refused
from flows.engine.claims import active_claims
from flows.engine.outcomes import Outcome
from flows.people.actors import ActorContext
from flows.reporting import tallies
from flows.workflow.compiled import CompiledWorkflow
from schemas.tables import Claim, ClaimStatus, Demand
from schemas.workflow import HumanStep

MAX_RETRIES = 3


_MOVED = ("state", "state_since", "rev", "taken", "org_id", "escalated_at")


def move(session: Session, demand: Demand, spec: HumanStep, actor: ActorContext, now: datetime) -> str:
    """The guarded UPDATE: move (or just touch) the demand if it is still where it was.

    Returns the state it left. Zero rows means another action won: say which, plainly.
    """
    moves = spec.to is not None and spec.to not in spec.sources
    takes = bool(spec.claim and spec.claim.holder == "member") or spec.record == "assign"
    org_id = None
    if spec.claim and spec.claim.holder == "org":
        orgs = actor.orgs_registered_with(demand.community_id)
        if not orgs:
            raise Refused("scope")
        org_id = orgs[0]
    statement = guarded_update(moves, takes, org_id is not None, bool(spec.claim and spec.claim.capacity == "demand"))
    for _ in range(MAX_RETRIES):
        observed = demand.state
        row = session.execute(statement, {"demand_id": demand.id, "observed": observed, "to": spec.to,
                                          "since": now, "org": org_id}).one_or_none()
        if row is not None:  # won: take the new values without reading the row again
            for key, value in zip(_MOVED, row, strict=True):
                set_committed_value(demand, key, value)
            return observed
        session.refresh(demand)
        if demand.state not in spec.sources:
            raise lost(session, actor, spec, demand)
        if spec.claim and spec.claim.capacity == "demand" and demand.taken >= demand.capacity:
            raise Refused("full")
    raise Refused("state", {"state": demand.state, "step": spec.title})


def lost(session: Session, actor: ActorContext, spec: HumanStep, demand: Demand) -> Refused:
    """The refusal for a step whose state has gone. When the one-winner claim is the actor's own
    (a second tab's 一键抢单 after the first won, another admin of the same organisation), say
    so: "已被认领" read as losing to someone else."""
    code = lost_code(spec, demand)
    if code == "taken" and spec.claim is not None:
        if spec.claim.holder == "org" and demand.org_id is not None and demand.org_id in actor.org_admin_of:
            return Refused("taken.by_your_org", {"step": spec.title})
        if spec.claim.holder == "member" and any(c.user_id == actor.user_id for c in active_claims(session, demand.id)):
            return Refused("taken.by_you", {"step": spec.title})
    return Refused(code, {"state": demand.state, "step": spec.title})


def lost_code(spec: HumanStep, demand: Demand) -> str:
    """Why a step cannot be taken in the demand's state: "taken" only when someone holds the
    one-winner claim this step would have made; otherwise the state is simply not the step's
    (a claim on a wish still waiting for review is not "already claimed")."""
    one_winner = spec.claim is not None and spec.claim.capacity == 1
    return "taken" if one_winner and (demand.taken > 0 or demand.org_id is not None) else "state"


@cache
def guarded_update(moves: bool, takes: bool, sets_org: bool, within_capacity: bool):
    """The UPDATE for one shape of step, built once (16 shapes at most): building it per
    action cost more than running it."""
    table = Demand.__table__
    values: dict[str, Any] = {"rev": table.c.rev + 1}
    if moves:  # a new stay: whatever was overdue in the old one is history (escalations keep it)
        values.update(state=bindparam("to"), state_since=bindparam("since"), escalated_at=None)
    if takes:
        values["taken"] = table.c.taken + 1
    if sets_org:
        values["org_id"] = bindparam("org")
    where = [table.c.id == bindparam("demand_id"), table.c.state == bindparam("observed")]
    if within_capacity:
        where.append(table.c.taken < table.c.capacity)
    return update(table).where(*where).values(**values).returning(*(table.c[key] for key in _MOVED))


def record_event(session: Session, demand: Demand, workflow: CompiledWorkflow, step: str, from_state: str | None,
                 to_state: str, actor_id: int | None, data: dict[str, Any], now: datetime,
                 request_key: str | None = None) -> int:
    if workflow.is_done(to_state) and from_state != to_state:
        tallies.demand_done(session, demand, workflow.figure, now)
    return journal.record(
        session, subject="demand", subject_id=demand.id, demand_id=demand.id, step=step, from_state=from_state,
        to_state=to_state, actor_id=actor_id, data=data, at=now, topic=f"yijia.demand.{step}",
        payload={"workflow": workflow.id, "version": demand.workflow_version, "community_id": demand.community_id},
        request_key=request_key,
    )


def outcome(demand: Demand, workflow: CompiledWorkflow, step: str, from_state: str | None, event_id: int) -> Outcome:
    return Outcome(demand_id=demand.id, step=step, step_title=workflow.spec.steps[step].title, from_state=from_state,
                   to_state=demand.state, state_title=workflow.state_title(demand.state), event_id=event_id)


def close_claims(session: Session, demand: Demand) -> None:
    session.execute(update(Claim).where(Claim.demand_id == demand.id, Claim.status == ClaimStatus.ACTIVE)
                    .values(status=ClaimStatus.DONE).execution_options(synchronize_session=False))

