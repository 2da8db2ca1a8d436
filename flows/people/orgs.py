"""Organisations: the back office (后台档案) of what one grabbed and who signed up and served,
the organisations to choose from, and how many members one has (joining one:
flows/people/joining.py)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from schemas.tables import (
    Account,
    Claim,
    ClaimStatus,
    Demand,
    Entry,
    Member,
    Organisation,
    Posting,
    ServiceRecord,
    User,
)


def back_office(session: Session, org_id: int) -> list[dict[str, Any]]:
    """Each grabbed activity with its people: sign-in/out, hours and the points each earned.
    Grabbed: the organisation holds it by a claim of its own. A resource request names the
    organisation that owns the resource, and is no activity of its (the walk found a declined
    van request listed with an empty sign-in sheet)."""
    grabbed = select(Claim.id).where(Claim.demand_id == Demand.id, Claim.org_id == org_id, Claim.user_id.is_(None),
                                     Claim.status != ClaimStatus.WITHDRAWN).exists()
    demands = session.scalars(select(Demand).where(Demand.org_id == org_id, grabbed)
                              .order_by(Demand.id.desc()).limit(100)).all()
    result = []
    for demand in demands:
        people = session.execute(
            select(User.display_name, ServiceRecord.signed_in_at, ServiceRecord.signed_out_at, ServiceRecord.hours,
                   Claim.user_id)
            .join(Claim, Claim.user_id == User.id)
            .outerjoin(ServiceRecord, ServiceRecord.claim_id == Claim.id)
            .where(Claim.demand_id == demand.id, Claim.user_id.is_not(None),
                   Claim.status != ClaimStatus.WITHDRAWN)).all()  # not those who left, or whom an organisation that gave it up took along
        points = dict(session.execute(
            select(Account.user_id, func.sum(Entry.amount)).join(Entry, Entry.account_id == Account.id)
            .join(Posting, Posting.id == Entry.posting_id)
            .where(Posting.demand_id == demand.id, Account.user_id.is_not(None)).group_by(Account.user_id)).all())
        result.append({"demand": demand, "people": [
            {"name": p.display_name, "in": p.signed_in_at, "out": p.signed_out_at, "hours": p.hours,
             "points": int(points.get(p.user_id, 0))} for p in people]})
    return result


def choices(session: Session) -> list[tuple[int, str]]:
    """Organisations a member may say they belong to, by name."""
    return [(org_id, name) for org_id, name in session.execute(
        select(Organisation.id, Organisation.name).order_by(Organisation.name))]


def members(session: Session, org_id: int, limit: int = 500) -> list[tuple[int, str, str | None]]:
    """The organisation's members (id, name, work unit), by name: who its admin recruits from,
    and whom it may take off its list."""
    return [(user_id, name, unit) for user_id, name, unit in session.execute(
        select(User.id, User.display_name, Member.work_unit).join(Member, Member.user_id == User.id)
        .where(Member.org_id == org_id, User.is_active.is_(True)).order_by(User.display_name).limit(limit))]


def member_count(session: Session, org_id: int) -> int:
    """How many members say they belong to the organisation."""
    return int(session.scalar(select(func.count()).select_from(Member).where(Member.org_id == org_id)) or 0)
