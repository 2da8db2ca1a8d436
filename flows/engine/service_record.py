"""A person's service record (服务记录): the hours they served, the demands they served on and
the points those earned — what the programme quantifies instead of paper sheets."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from schemas.tables import Account, Claim, ClaimStatus, Demand, Entry, Posting, PostingKind, ServiceRecord


@dataclass(frozen=True)
class Served:
    """One demand the person served on."""

    demand_id: int
    title: str
    hours: float
    signed_in_at: datetime | None
    points: int


@dataclass(frozen=True)
class Summary:
    hours: float
    activities: int
    points: int
    rows: list[Served]


def summary(session: Session, user_id: int | None, limit: int = 100) -> Summary:
    """Hours (from sign-in/out or reported), the demands served on, and the points awarded."""
    points_by_demand = dict(session.execute(
        select(Posting.demand_id, func.sum(Entry.amount)).join(Entry, Entry.posting_id == Posting.id)
        .join(Account, Account.id == Entry.account_id)
        .where(Account.user_id == user_id, Posting.kind == PostingKind.AWARD, Posting.demand_id.is_not(None))
        .group_by(Posting.demand_id)).all())
    records = session.execute(
        select(ServiceRecord.demand_id, Demand.title, ServiceRecord.hours, ServiceRecord.signed_in_at)
        .join(Claim, Claim.id == ServiceRecord.claim_id).join(Demand, Demand.id == ServiceRecord.demand_id)
        .where(ServiceRecord.user_id == user_id, Claim.status != ClaimStatus.WITHDRAWN)
        .order_by(ServiceRecord.id.desc())).all()
    rows: dict[int, Served] = {}
    for demand_id, title, hours, signed_in_at in records:
        if demand_id in rows:
            continue
        rows[demand_id] = Served(demand_id, title, float(hours or 0), signed_in_at,
                                 int(points_by_demand.get(demand_id) or 0))
    served = [r for r in rows.values() if r.hours > 0 or r.signed_in_at is not None]
    return Summary(hours=round(sum(r.hours for r in served), 2), activities=len(served),
                   points=int(sum(points_by_demand.values() or [0])), rows=served[:limit])
