"""An organisation's back office (后台档案): what it grabbed, who signed up and served."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from schemas.tables import Account, Claim, Demand, Entry, Posting, ServiceRecord, User


def back_office(session: Session, org_id: int) -> list[dict[str, Any]]:
    """Each grabbed activity with its people: sign-in/out, hours and the points each earned."""
    demands = session.scalars(select(Demand).where(Demand.org_id == org_id).order_by(Demand.id.desc()).limit(100)).all()
    result = []
    for demand in demands:
        people = session.execute(
            select(User.display_name, ServiceRecord.signed_in_at, ServiceRecord.signed_out_at, ServiceRecord.hours,
                   Claim.user_id)
            .join(Claim, Claim.user_id == User.id)
            .outerjoin(ServiceRecord, ServiceRecord.claim_id == Claim.id)
            .where(Claim.demand_id == demand.id, Claim.user_id.is_not(None))).all()
        points = dict(session.execute(
            select(Account.user_id, func.sum(Entry.amount)).join(Entry, Entry.account_id == Account.id)
            .join(Posting, Posting.id == Entry.posting_id)
            .where(Posting.demand_id == demand.id, Account.user_id.is_not(None)).group_by(Account.user_id)).all())
        result.append({"demand": demand, "people": [
            {"name": p.display_name, "in": p.signed_in_at, "out": p.signed_out_at, "hours": p.hours,
             "points": int(points.get(p.user_id, 0))} for p in people]})
    return result
