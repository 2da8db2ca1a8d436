"""Organisations: the back office (后台档案) of what one grabbed and who signed up and served,
and which organisation a member belongs to."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flows.core import journal
from flows.core.db import in_transaction
from flows.core.i18n import N_
from flows.core.refusals import Refused
from flows.people.actors import ActorContext
from schemas.tables import Account, Claim, Demand, Entry, Member, Organisation, Posting, ServiceRecord, User


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


def choices(session: Session) -> list[tuple[int, str]]:
    """Organisations a member may say they belong to, by name."""
    return [(org_id, name) for org_id, name in session.execute(
        select(Organisation.id, Organisation.name).order_by(Organisation.name))]


def member_count(session: Session, org_id: int) -> int:
    """How many members say they belong to the organisation."""
    return int(session.scalar(select(func.count()).select_from(Member).where(Member.org_id == org_id)) or 0)


def set_member_org(session: Session, actor: ActorContext, org_id: int | None) -> Member:
    """A member says which organisation they belong to (or none): they then see and may join
    the activities it grabs. Logged as an event, like every change of who belongs where."""
    member = session.get(Member, actor.user_id) if actor.user_id is not None else None
    if member is None:
        raise Refused("role")
    if org_id is not None and session.get(Organisation, org_id) is None:
        raise Refused("input", fields={"org_id": N_("请选择党组织")})
    before = member.org_id

    def work() -> Member:
        member.org_id = org_id
        session.flush()
        journal.record(session, subject="members", subject_id=member.user_id, step="set_org", from_state=None,
                       to_state=None, actor_id=actor.user_id, data={"from": before, "to": org_id})
        return member

    return in_transaction(session, work)
