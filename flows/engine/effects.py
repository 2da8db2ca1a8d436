"""Effects of automated steps: points through the ledger, notifications through the log.

Every posting's idempotency key names the demand, the step and the recipient, so running
an award twice (a retried Prefect task, a replayed outbox row) credits once.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.core import journal
from flows.engine import claims, notices
from flows.notices import outbox
from flows.people.regions import district_id
from flows.points import ledger, rules
from flows.workflow.compiled import CompiledWorkflow
from schemas.tables import Claim, Demand, Evaluation, Organisation, PostingKind, Region, ServiceRecord, TaskType, User
from schemas.workflow import AutoStep, NotifySpec, PointsEffect, PointsRule


def points_amount(rule: PointsRule, base_points: int, hours: float, rating: int | None) -> int:
    """round((base + per_hour × hours) × factor(rating)), capped by `max`; half up, never negative."""
    base = base_points if rule.base == "task_type" else int(rule.base)
    factor = Decimal(str(rule.by_rating.get(rating, 1.0))) if rating is not None else Decimal(1)
    raw = (Decimal(base) + Decimal(str(rule.per_hour)) * Decimal(str(hours))) * factor
    amount = int(raw.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if rule.max is not None:
        amount = min(amount, rule.max)
    return max(amount, 0)


def _member_claims(session: Session, demand: Demand) -> list[tuple[int, ServiceRecord | None]]:
    """(member, service record if any) for each member's claim that was not withdrawn, oldest first."""
    held = claims.claims_of(session, demand.id, claims.SERVED)
    records = {r.claim_id: r for r in session.scalars(
        select(ServiceRecord).where(ServiceRecord.claim_id.in_([c.id for c in held])))} if held else {}
    return [(c.user_id, records.get(c.id)) for c in held if c.user_id is not None]


def _served(record: ServiceRecord | None) -> bool:
    return record is not None and (record.signed_in_at is not None or (record.hours or 0) > 0)


def _hours(record: ServiceRecord | None) -> float:
    return float(record.hours or 0) if record is not None else 0.0


def _took_it_on(session: Session, demand: Demand) -> bool:
    """Whether the organisation holds the demand by a claim of its own (一键抢单), to bring people
    to it; one that holds it as its resource's owner is paid for lending, whoever came."""
    return session.scalar(select(Claim.id).where(Claim.demand_id == demand.id, Claim.org_id == demand.org_id,
                                                 Claim.user_id.is_(None), Claim.status.in_(claims.SERVED))
                          .limit(1)) is not None


def recipients(session: Session, demand: Demand, to: str) -> list[tuple[str, int, float]]:
    """(kind, id, hours) for each recipient of a points rule."""
    served = _member_claims(session, demand)
    if to == "claimant":
        return [("user", member, _hours(s)) for member, s in served[:1]]
    if to == "participants":  # one credit per person: who left a volunteer item and came back sums both stints
        hours: dict[int, float] = {}
        for member, s in served:
            if _served(s):
                hours[member] = hours.get(member, 0.0) + _hours(s)
        return [("user", member, total) for member, total in hours.items()]
    if to == "org":
        if demand.org_id is None:
            return []
        came = [s for _, s in served if _served(s)]
        if not came and _took_it_on(session, demand):
            return []  # it took the activity on and nobody came (the walk saw +20 for one nobody attended)
        return [("org", demand.org_id, sum(_hours(s) for s in came))]
    if to == "requester" and demand.requester_id:
        return [("user", demand.requester_id, 0.0)]
    return []


def award(session: Session, demand: Demand, workflow: CompiledWorkflow, step: str, index: int,
          rule: PointsRule) -> list[dict[str, Any]]:
    """Post the rule's points, as the task type's district tuned it (flows.points.rules);
    returns what was credited (for the event). A recipient already awarded under this key
    keeps what they got: a replay never recomputes with rules changed since."""
    rule, base_points = rules.effective(session, rule, session.get(TaskType, demand.task_type_id))
    rating = session.scalar(select(Evaluation.rating).where(Evaluation.demand_id == demand.id)
                            .order_by(Evaluation.id.desc()).limit(1))
    issuance = ledger.issuance_account(session)
    credited = []
    for kind, owner, hours in recipients(session, demand, rule.to):
        key = f"award:demand:{demand.id}:{step}:{index}:{kind}:{owner}"
        earlier = ledger.find(session, key)
        if earlier is not None:
            credited.append({"to": f"{kind}:{owner}", "points": int(earlier.amount)})
            continue
        amount = points_amount(rule, base_points, hours, rating)
        if amount <= 0:
            continue
        account = ledger.user_account(session, owner) if kind == "user" else ledger.org_account(session, owner)
        memo = rule.memo or f"{workflow.spec.title} #{demand.id} {demand.title}"
        ledger.post(session, key, PostingKind.AWARD, memo,
                    [ledger.Move(issuance, -amount), ledger.Move(account, amount)], demand_id=demand.id,
                    data={"hours": hours, "rating": rating, "rule": rule.to, "per_hour": rule.per_hour,
                          "base": base_points})
        credited.append({"to": f"{kind}:{owner}", "points": amount})
    return credited


@dataclass(frozen=True)
class Credit:
    """One line of what a settlement would credit: who, their hours, the points."""

    name: str
    hours: float
    points: int


def settlement(session: Session, demand: Demand, workflow: CompiledWorkflow, step: str) -> list[Credit]:
    """What the automated steps right after `step` would credit, person by person, were it taken
    now: the admin who taps 结算积分 sees each person's hours and points first (a tester's four
    twelve-hour entries in one minute went through a confirm page that showed no figure). Read
    from the workflow (the points effects of the auto steps that follow the step's state) and the
    district's tuning, as `award` computes them; nothing is written."""
    spec = workflow.spec.steps.get(step)
    state, seen, points = getattr(spec, "to", None), set(), []
    while state is not None and state not in seen:
        seen.add(state)
        auto = next((s for s in workflow.spec.steps.values() if isinstance(s, AutoStep) and s.from_ == state), None)
        if auto is None:
            break
        points += [effect.points for effect in auto.effects if isinstance(effect, PointsEffect)]
        state = auto.to
    if not points:
        return []
    task_type = session.get(TaskType, demand.task_type_id)
    rating = session.scalar(select(Evaluation.rating).where(Evaluation.demand_id == demand.id)
                            .order_by(Evaluation.id.desc()).limit(1))
    lines: list[tuple[str, int, float, int]] = []
    for rule in points:
        rule, base_points = rules.effective(session, rule, task_type)
        lines += [(kind, owner, hours, points_amount(rule, base_points, hours, rating))
                  for kind, owner, hours in recipients(session, demand, rule.to)]
    users = dict(session.execute(select(User.id, User.display_name).where(
        User.id.in_({owner for kind, owner, _, _ in lines if kind == "user"}))).all())
    orgs = dict(session.execute(select(Organisation.id, Organisation.name).where(
        Organisation.id.in_({owner for kind, owner, _, _ in lines if kind == "org"}))).all())
    return [Credit((users if kind == "user" else orgs).get(owner, ""), hours, amount)
            for kind, owner, hours, amount in lines]


def tell_credited(session: Session, demand: Demand, event_id: int, credited: list[dict[str, Any]],
                  now: datetime) -> None:
    """Each person credited by the award hears how much and their balance (the award's event)."""
    community = session.get(Region, demand.community_id)
    district = district_id(community.path) if community else None
    for item in credited:
        kind, _, owner = str(item["to"]).partition(":")
        if kind != "user":
            continue
        user_id = int(owner)
        outbox.tell(session, event_id=event_id, users=[user_id], template="points_credited", demand=demand, now=now,
                    values={"points": item["points"], "balance": ledger.balance(session, user_id),
                            "reason": demand.title}, district_id=district)


def notify_users(session: Session, demand: Demand, to: str | tuple[str, ...],
                 released: Iterable[int] = ()) -> list[int]:
    """The people a `notify: {to: ...}` names on this demand (one set or several), each once;
    `released`: those whose places the step gave back."""
    if isinstance(to, tuple):
        return list(dict.fromkeys(user for one in to for user in notify_users(session, demand, one, released)))
    if to == "released":
        return list(dict.fromkeys(released))
    if to == "requester":
        return [demand.requester_id] if demand.requester_id else []
    if to in ("claimant", "claimants", "participants"):
        return list(dict.fromkeys(member for member, _ in _member_claims(session, demand)))
    if to == "org_admins":  # the admins of the organisation holding the demand (grabbed it, owns its resource)
        return notices.users_of(session, [{"org_id": demand.org_id}]) if demand.org_id else []
    if to == "holder_admins":  # the holding organisation's admins, else the community's
        return notify_users(session, demand, "org_admins" if demand.org_id else "community_admins")
    if to == "org_members":
        return notices.users_of(session, [{"org_id": demand.org_id, "role": "member"}]) if demand.org_id else []
    if to == "community_admins":
        return notices.users_of(session, [{"role": "community_admin", "region_id": demand.community_id}])
    if to == "district_admins":
        community = session.get(Region, demand.community_id)
        district = district_id(community.path) if community else None
        return notices.users_of(session, [{"role": "district_admin", "region_id": district}]) if district else []
    return []


def notify(session: Session, demand: Demand, spec: NotifySpec, step: str, workflow: CompiledWorkflow,
           event_id: int | None = None, form: dict[str, Any] | None = None, released: Iterable[int] = (),
           released_org: int | None = None) -> None:
    """Put the message in each recipient's inbox, in the step's transaction. A human step's
    message belongs to the step's own event (`event_id`); an automated step's notify effect
    logs an event of its own, which the outbox carries to whoever delivers it further.
    `released`, `released_org`: the people whose places the step gave back, and the
    organisation it let go of (a give-up)."""
    users = notify_users(session, demand, spec.to, released)
    composed = notices.compose(session, demand, workflow, spec, form, org_id=released_org)
    if event_id is None:
        event_id = journal.record(session, subject="demand", subject_id=demand.id, demand_id=demand.id,
                                  step=f"{step}:notify", from_state=demand.state, to_state=demand.state,
                                  actor_id=None, data={"to": spec.to, "users": users, "message": composed.title,
                                        # the timeline shows it to readers of either language
                                        "message_en": composed.render("en")[0]},
                                  topic="yijia.notify", payload={"users": users, "message": composed.title})
    notices.post(session, event_id=event_id, demand=demand, users=users, kind=f"{step}:notify",
                 title=composed.title, body=composed.body, category=composed.category, render=composed.render,
                 short=composed.short)
