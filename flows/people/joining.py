"""A member joining a party organisation: asked by the member, decided by the organisation.

Belonging to an organisation opens its activities to a member (报名 is for the grabbing
organisation's members) and puts their service in its records. So a member no longer joins
one by choosing it: they ask (所属党组织 → 申请加入, or naming it at sign-up), the
organisation's admins hear of it and decide on 组织档案, and only their 通过 makes the member
one of its own. Leaving needs nobody's leave, and the admins may take a member off their list
(移出组织: one who moved away, or was let in by mistake). One request waits at a time per
member; asking for another organisation replaces it. Every change is an event, and each side
is told.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from flows.core import journal
from flows.core.db import in_transaction
from flows.core.i18n import N_
from flows.core.refusals import Refused
from flows.core.sql import changed
from flows.notices import outbox
from flows.people.actors import ActorContext
from schemas.clock import utcnow
from schemas.tables import (
    Event,
    Member,
    MemberRegistration,
    Organisation,
    RegistrationStatus,
    Role,
    RoleGrant,
    User,
)


@dataclass(frozen=True)
class Request:
    """A member waiting for an organisation's answer."""

    member_id: int
    name: str
    work_unit: str | None
    org_id: int
    org: str
    asked_at: datetime | None
    # their report-in (报到) with a community is approved: an organisation deciding before the
    # community has is told so, since the member cannot yet take part where they live
    reported_in: bool = True


def ask(session: Session, actor: ActorContext, org_id: int | None, *, now: datetime | None = None) -> Member:
    """The member asks to join `org_id` (their request waits for its admins), or with None leaves
    their organisation and withdraws any request. Asking for the one they belong to changes
    nothing; asking again for the one they asked for is the same request."""
    member = session.get(Member, actor.user_id) if actor.user_id is not None else None
    if member is None:
        raise Refused("role")
    org = session.get(Organisation, org_id) if org_id is not None else None
    if org_id is not None and org is None:
        raise Refused("input", fields={"org_id": N_("请选择党组织")})
    when = now or utcnow()
    if org is None:
        if member.org_id is None and member.org_requested_id is None:
            return member
        return _record(session, member, actor, "leave_org", org_id=None, requested=None, when=when)
    if org.id == member.org_id:
        if member.org_requested_id is None:
            return member
        return _record(session, member, actor, "withdraw_org_request", org_id=member.org_id, requested=None, when=when)
    if org.id == member.org_requested_id:
        return member
    return _record(session, member, actor, "ask_org", org_id=member.org_id, requested=org, when=when)


def _record(session: Session, member: Member, actor: ActorContext, step: str, *, org_id: int | None,
            requested: Organisation | None, when: datetime) -> Member:
    before = {"org": member.org_id, "requested": member.org_requested_id}

    def work() -> Member:
        # Conditional on what was read: an admin's 通过 landing meanwhile is not overwritten (a
        # member leaving would otherwise keep the organisation they just left), it is refused.
        moved = changed(session, update(Member).where(
            Member.user_id == member.user_id, _is(Member.org_id, before["org"]),
            _is(Member.org_requested_id, before["requested"]))
            .values(org_id=org_id, org_requested_id=requested.id if requested else None,
                    org_requested_at=when if requested else None).execution_options(synchronize_session=False))
        if moved != 1:
            raise Refused("conflict")
        session.refresh(member)
        event_id = journal.record(session, subject="members", subject_id=member.user_id, step=step, from_state=None,
                                  to_state=None, actor_id=actor.user_id,
                                  data={"from": before, "org": org_id, "requested": member.org_requested_id})
        if requested is not None:
            name = session.scalar(select(User.display_name).where(User.id == member.user_id)) or ""
            tell_admins(session, event_id, requested, name, when)
        return member

    return in_transaction(session, work)


def asked_at_sign_up(session: Session, member: Member, name: str, org: Organisation, when: datetime) -> None:
    """A member who names their organisation when signing up asks to join it, as one who asks
    later does (in the sign-up's transaction)."""
    member.org_requested_id, member.org_requested_at = org.id, when
    session.flush()
    event_id = journal.record(session, subject="members", subject_id=member.user_id, step="ask_org", from_state=None,
                              to_state=None, actor_id=member.user_id,
                              data={"from": {"org": None, "requested": None}, "org": None, "requested": org.id})
    tell_admins(session, event_id, org, name, when)


def placed(session: Session, member: Member, before: int | None, actor_id: int, when: datetime) -> None:
    """A district admin set the member's organisation on the console (人才资源库), in the console's
    transaction: the one place where an organisation is chosen for a member rather than by
    their admins. It is an event like any other; a waiting request for that same organisation is
    settled by it (it would otherwise wait for a decision already made), one for another stays;
    the member is told where they now belong."""
    if member.org_id == before:
        return
    asked = member.org_requested_id
    if asked is not None and asked == member.org_id:
        member.org_requested_id = member.org_requested_at = None
    session.flush()
    event_id = journal.record(session, subject="members", subject_id=member.user_id,
                              step="place_org" if member.org_id is not None else "leave_org",
                              from_state=None, to_state=None, actor_id=actor_id,
                              data={"from": {"org": before, "requested": asked}, "org": member.org_id,
                                    "requested": member.org_requested_id})
    org = session.get(Organisation, member.org_id) if member.org_id is not None else None
    if org is not None:
        name = session.scalar(select(User.display_name).where(User.id == member.user_id)) or ""
        outbox.tell(session, event_id=event_id, users=[member.user_id], template="org_placed",
                    values={"org": org.name, "member": name}, district_id=org.district_id, now=when)


def tell_admins(session: Session, event_id: int, org: Organisation, name: str, when: datetime) -> None:
    """The organisation's admins hear of a request, and find it on 组织档案."""
    outbox.tell(session, event_id=event_id, users=admins_of(session, org.id), template="org_join_requested",
                values={"org": org.name, "member": name}, district_id=org.district_id, now=when)


def _is(column, value: int | None):
    return column.is_(None) if value is None else column == value


def admins_of(session: Session, org_id: int) -> list[int]:
    return list(session.scalars(select(RoleGrant.user_id).where(RoleGrant.role == Role.ORG_ADMIN,
                                                                RoleGrant.org_id == org_id)))


def pending(session: Session, actor: ActorContext) -> list[Request]:
    """The requests waiting for the organisations the actor administers, oldest first."""
    if not actor.org_admin_of:
        return []
    approved = (select(MemberRegistration.id).where(MemberRegistration.member_id == Member.user_id,
                                                    MemberRegistration.status == RegistrationStatus.APPROVED)
                .exists().correlate(Member))
    rows = session.execute(
        select(Member.user_id, User.display_name, Member.work_unit, Organisation.id, Organisation.name,
               Member.org_requested_at, approved)
        .join(User, User.id == Member.user_id).join(Organisation, Organisation.id == Member.org_requested_id)
        .where(Member.org_requested_id.in_(sorted(actor.org_admin_of)), User.is_active.is_(True))
        .order_by(Member.org_requested_at, Member.user_id).limit(200))
    return [Request(*row) for row in rows]


def count(session: Session, actor: ActorContext) -> int:
    """How many wait for the actor's organisations (the badge on 组织档案)."""
    if not actor.org_admin_of:
        return 0
    return int(session.scalar(select(func.count()).select_from(Member).join(User, User.id == Member.user_id).where(
        Member.org_requested_id.in_(sorted(actor.org_admin_of)), User.is_active.is_(True))) or 0)


def decide(session: Session, actor: ActorContext, member_id: int, org_id: int, approve: bool, *,
           now: datetime | None = None) -> str:
    """通过 makes the member one of the organisation's own; 不通过 drops the request. Only the
    organisation's admins decide, and only the request still waiting for it: two admins
    deciding at once, or the Back button, find it decided (`join.decided`). Returns the
    member's name, for the answer."""
    if org_id not in actor.org_admin_of:
        raise Refused("join.not_found")
    org = session.get(Organisation, org_id)
    name = session.scalar(select(User.display_name).join(Member, Member.user_id == User.id)
                          .where(Member.user_id == member_id, User.is_active.is_(True)))
    if org is None or name is None:
        raise Refused("join.not_found")
    when = now or utcnow()

    def work() -> str:
        values: dict[str, object] = {"org_requested_id": None, "org_requested_at": None}
        if approve:
            values["org_id"] = org_id
        moved = changed(session, update(Member).where(Member.user_id == member_id, Member.org_requested_id == org_id)
                        .values(**values).execution_options(synchronize_session=False))
        if moved != 1:  # decided meanwhile (a second admin, the Back button), or never asked
            # a request on record, or a decision on one (a request seeded without its event, too)
            asked_before = session.scalar(select(Event.id).where(
                Event.subject == "members", Event.subject_id == member_id, or_(
                    and_(Event.step == "ask_org", Event.data["requested"].as_integer() == org_id),
                    and_(Event.step.in_(("join_org", "refuse_org")), Event.data["org"].as_integer() == org_id)))
                .limit(1))
            raise Refused("join.decided" if asked_before is not None else "join.not_found")
        event_id = journal.record(session, subject="members", subject_id=member_id,
                                  step="join_org" if approve else "refuse_org", from_state=None, to_state=None,
                                  actor_id=actor.user_id, data={"org": org_id})
        outbox.tell(session, event_id=event_id, users=[member_id],
                    template="org_join_approved" if approve else "org_join_rejected",
                    values={"org": org.name, "member": name}, district_id=org.district_id, now=when)
        return name

    return in_transaction(session, work)


def remove(session: Session, actor: ActorContext, member_id: int, org_id: int, *,
           now: datetime | None = None) -> str:
    """移出组织: an admin of the organisation takes the member off it, as the member leaving
    would (what they signed up to stays theirs, as when they leave). Only while they still
    belong to it: a second tap, a colleague or the member leaving first finds them gone
    (`org.not_member`). The member is told. Returns their name, for the answer. Another
    organisation's list is not found for who does not administer it (`join.not_found`)."""
    if org_id not in actor.org_admin_of:
        raise Refused("join.not_found")
    org = session.get(Organisation, org_id)
    name = session.scalar(select(User.display_name).join(Member, Member.user_id == User.id)
                          .where(Member.user_id == member_id))
    if org is None or name is None:
        raise Refused("org.not_member")
    when = now or utcnow()

    def work() -> str:
        moved = changed(session, update(Member).where(Member.user_id == member_id, Member.org_id == org_id)
                        .values(org_id=None).execution_options(synchronize_session=False))
        if moved != 1:
            raise Refused("org.not_member")
        event_id = journal.record(session, subject="members", subject_id=member_id, step="remove_org",
                                  from_state=None, to_state=None, actor_id=actor.user_id,
                                  data={"from": {"org": org_id}, "org": None})
        outbox.tell(session, event_id=event_id, users=[member_id], template="org_removed",
                    values={"org": org.name, "member": name}, district_id=org.district_id, now=when)
        return name

    return in_transaction(session, work)
