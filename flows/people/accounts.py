"""Accounts and reporting in (报到): sign-up, log-in, registrations and
their approval by the community. Every decision is an event in the log."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from flows.core import journal
from flows.core.db import in_transaction
from flows.core.i18n import N_, Message
from flows.core.refusals import Refused
from flows.core.sql import changed
from flows.core.text import visible
from flows.notices import outbox
from flows.people import joining, passwords, phones, usernames
from flows.people.actors import ActorContext
from flows.people.regions import district_id
from schemas.clock import utcnow
from schemas.tables import (
    Event,
    Member,
    MemberRegistration,
    Organisation,
    OrgRegistration,
    Region,
    RegionLevel,
    RegistrationStatus,
    Role,
    RoleGrant,
    User,
)

# The one username rule, for sign-up and for the Excel import alike.
USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")
USERNAME_RULE = N_("用户名只能用 3–32 位字母或数字（也可以有 _ . -），不能有汉字或空格：可以用姓名拼音或手机号")
NAME_RULE = N_("请填写姓名（最多 64 字）")


def valid_username(name: str | None) -> bool:
    """Whether `name` may be a username (sign-up and import apply the same rule)."""
    return bool(USERNAME.match(name or ""))


def valid_display_name(name: str | None) -> bool:
    """A person's name as shown to others: present, at most 64 characters."""
    return bool(visible(name)) and len(visible(name)) <= 64
# Compared against when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")
# The one refusal for a name that is taken, reserved or a look-alike (any case) of a taken one.
NAME_UNAVAILABLE = N_("这个用户名不可用，请换一个")


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The user for these credentials, or None; never says which part was wrong.

    Every path checks one password hash (a dummy one for an unknown or inactive user), so the
    answer takes as long whether the user exists or not. Nothing is written: throttling
    repeated failures is the web layer's (admin/security/throttle.py), per client, so that an
    attacker cannot lock anyone else out of their account.
    """
    # Names are unique ignoring case (flows/people/usernames.py), so log-in ignores case too:
    # M0054 logs in as m0054, as the throttle (which lower-cases) already counts them as one.
    user = usernames.find(session, username)
    right = check_password_hash(user.password_hash if user is not None else _DUMMY_HASH, password)
    return user if user is not None and right and user.is_active else None


def sign_up(session: Session, *, username: str, password: str, display_name: str, community_id: int,
            as_member: bool, work_unit: str | None = None, org_id: int | None = None,
            phone: str | None = None) -> User:
    """A resident of a community, or a member whose report-in waits for the community's approval
    (a member may name the organisation they belong to). The phone is optional: a resident gives
    it so the member who takes up their first wish can call (it can be set later on 账号与安全)."""
    errors = {}
    number = phones.kept(phone)
    if not phones.reachable(number):
        errors["phone"] = phones.RULE
    if not valid_username(username):
        errors["username"] = USERNAME_RULE
    problem = passwords.password_problem(password or "", username or "")
    if problem:
        errors["password"] = problem
    if not valid_display_name(display_name):
        errors["display_name"] = NAME_RULE
    community = session.get(Region, community_id) if community_id else None
    if community is None or community.level is not RegionLevel.COMMUNITY:
        errors["community_id"] = N_("请选择社区")
    org = session.get(Organisation, org_id) if as_member and org_id else None
    if as_member and org_id and org is None:
        errors["org_id"] = N_("请选择党组织")
    if errors:
        raise Refused("input", fields=errors)
    # Hashed before the name is checked, so a taken name answers as slowly as a free one.
    password_hash = generate_password_hash(password)
    if usernames.reserved(username) or usernames.taken(session, username):
        raise Refused("input", fields={"username": NAME_UNAVAILABLE})

    def work() -> User:
        user = User(username=username, password_hash=password_hash, display_name=visible(display_name), phone=number)
        user.grants = [RoleGrant(role=Role.MEMBER if as_member else Role.RESIDENT, region_id=community_id)]
        session.add(user)
        try:
            session.flush()
        except IntegrityError:  # the name was taken meanwhile: in_transaction undoes this attempt
            # The same sentence as for a reserved name; the web layer throttles sign-ups per client,
            # so names cannot be enumerated at speed (docs/security.md).
            raise Refused("input", fields={"username": NAME_UNAVAILABLE}) from None
        if as_member:
            # The work unit is what they type: not the named organisation's, which is not theirs
            # until its admins approve.
            member = Member(user_id=user.id, work_unit=visible(work_unit)[:128] or None)
            session.add(member)
            session.flush()
            if org is not None:  # belonging is the organisation's to confirm, as for anyone asking later
                joining.asked_at_sign_up(session, member, user.display_name, org, utcnow())
            session.add(MemberRegistration(member_id=user.id, community_id=community_id))
        return user

    return in_transaction(session, work)


def report_in(session: Session, actor: ActorContext, community_id: int) -> MemberRegistration:
    """A member reports in to the community where they live (pending approval)."""
    if not actor.has_role(Role.MEMBER) or session.get(Member, actor.user_id) is None:
        raise Refused("role")
    return _register(session, MemberRegistration(member_id=actor.user_id, community_id=community_id), actor)


def register_org(session: Session, actor: ActorContext, org_id: int, community_id: int) -> OrgRegistration:
    """An organisation admin registers the organisation with its paired community."""
    if org_id not in actor.org_admin_of:
        raise Refused("role")
    return _register(session, OrgRegistration(org_id=org_id, community_id=community_id), actor)


Registration = TypeVar("Registration", MemberRegistration, OrgRegistration)


def _register(session: Session, row: Registration, actor: ActorContext) -> Registration:
    community = session.get(Region, row.community_id)
    if community is None or community.level is not RegionLevel.COMMUNITY:
        raise Refused("community")

    def work() -> Registration:
        model = type(row)
        same = (MemberRegistration.member_id == row.member_id if isinstance(row, MemberRegistration)
                else OrgRegistration.org_id == row.org_id)
        earlier = session.scalar(select(model).where(same, model.community_id == row.community_id))
        if earlier is not None and earlier.status is RegistrationStatus.REJECTED:
            # sent back with a reason ("…需要重新报到"): reporting in again reopens it, the
            # earlier decision kept in the event log; the conditional UPDATE makes two taps one
            reopened = changed(session, update(model).where(model.id == earlier.id,
                                                            model.status == RegistrationStatus.REJECTED)
                               .values(status=RegistrationStatus.PENDING, decided_by=None, decided_at=None,
                                       created_at=utcnow()).execution_options(synchronize_session=False))
            if reopened != 1:
                raise Refused("registration.duplicate")
            session.refresh(earlier)
            journal.record(session, subject=model.__tablename__, subject_id=earlier.id, step="report_in",
                           from_state=RegistrationStatus.REJECTED.value, to_state=RegistrationStatus.PENDING.value,
                           actor_id=actor.user_id, data={"community_id": row.community_id})
            return earlier
        if earlier is not None:  # waiting for the community says so: it is not approved yet
            raise Refused("registration.pending" if earlier.status is RegistrationStatus.PENDING
                          else "registration.duplicate")
        session.add(row)
        try:
            session.flush()
        except IntegrityError:  # reported in there meanwhile: in_transaction undoes this attempt
            raise Refused("registration.duplicate") from None
        journal.record(session, subject=row.__tablename__, subject_id=row.id, step="report_in", from_state=None,
                       to_state=RegistrationStatus.PENDING.value, actor_id=actor.user_id,
                       data={"community_id": row.community_id})
        return row

    return in_transaction(session, work)


def pending(session: Session, actor: ActorContext) -> list[tuple[str, MemberRegistration | OrgRegistration, str, str]]:
    """(kind, registration, who, community) awaiting this admin's decision."""
    from flows.people.regions import admin_communities
    from schemas.tables import Organisation

    communities = {c.id: c.name for c in admin_communities(session, actor)}
    if not communities:
        return []
    rows: list[tuple[str, MemberRegistration | OrgRegistration, str, str]] = []
    for reg, name in session.execute(select(MemberRegistration, User.display_name)
                                     .join(User, User.id == MemberRegistration.member_id)
                                     .where(MemberRegistration.status == RegistrationStatus.PENDING,
                                            MemberRegistration.community_id.in_(communities))):
        rows.append(("member", reg, name, communities[reg.community_id]))
    for org_reg, name in session.execute(select(OrgRegistration, Organisation.name)
                                     .join(Organisation, Organisation.id == OrgRegistration.org_id)
                                     .where(OrgRegistration.status == RegistrationStatus.PENDING,
                                            OrgRegistration.community_id.in_(communities))):
        rows.append(("org", org_reg, name, communities[org_reg.community_id]))
    # oldest first, the kind and id breaking ties, so the pages of this list never overlap
    return sorted(rows, key=lambda r: (r[1].created_at, r[0], r[1].id))


def applicants(session: Session, rows: list[tuple[str, MemberRegistration | OrgRegistration, str, str]]
               ) -> dict[tuple[str, int], tuple[str, ...]]:
    """What the admin checks a member's report-in against, by (kind, registration id): their work
    unit, organisation and phone (a card with a name alone left nothing to check). For the
    admins of the communities the rows are of (`pending` read them so), who may see them."""
    from schemas.tables import Organisation

    ids = {reg.member_id: reg.id for kind, reg, _who, _where in rows if isinstance(reg, MemberRegistration)}
    if not ids:
        return {}
    found = session.execute(select(Member.user_id, Member.work_unit, Organisation.name, User.phone)
                            .join(User, User.id == Member.user_id)
                            .outerjoin(Organisation, Organisation.id == Member.org_id)
                            .where(Member.user_id.in_(list(ids))))
    return {("member", ids[user_id]): tuple(x for x in (unit, org, phone) if x)
            for user_id, unit, org, phone in found}


REASON_MAX = 200


@dataclass(frozen=True)
class Mine:
    """One of my report-ins (or my organisation's), as 报到 shows it: where, with whom, how it
    stands, and why it was sent back (the reason the admin typed)."""

    community: str
    who: str  # the organisation's name; "" for my own
    status: RegistrationStatus
    at: datetime  # when it was decided, or reported
    reason: str


def mine(session: Session, actor: ActorContext) -> list[Mine]:
    """My own report-ins and those of the organisations I run, newest first: a member who was
    sent back sees why before reporting in again (the message may be long gone)."""
    found: list[tuple[MemberRegistration | OrgRegistration, str]] = [
        (row, "") for row in session.scalars(select(MemberRegistration).where(MemberRegistration.member_id == actor.user_id))]
    if actor.org_admin_of:
        found += [(row, name) for row, name in session.execute(
            select(OrgRegistration, Organisation.name).join(Organisation, Organisation.id == OrgRegistration.org_id)
            .where(OrgRegistration.org_id.in_(actor.org_admin_of)))]
    if not found:
        return []
    names = {region.id: region.name for region in session.execute(select(Region.id, Region.name).where(
        Region.id.in_({row.community_id for row, _ in found})))}
    sent_back = [row for row, _ in found if row.status is RegistrationStatus.REJECTED]
    reasons: dict[tuple[str, int], str] = {}
    if sent_back:  # the newest decision of each, in one read (a row sent back twice says the last why)
        for subject, subject_id, data in session.execute(
                select(Event.subject, Event.subject_id, Event.data).where(
                    Event.step == "reject", or_(*[and_(Event.subject == row.__tablename__, Event.subject_id == row.id)
                                                  for row in sent_back])).order_by(Event.id)):
            reasons[(subject, subject_id)] = str((data or {}).get("reason") or "")
    result = [Mine(names.get(row.community_id, ""), who, row.status, row.decided_at or row.created_at,
                   reasons.get((row.__tablename__, row.id), "") if row.status is RegistrationStatus.REJECTED else "")
              for row, who in found]
    return sorted(result, key=lambda m: m.at, reverse=True)


def is_mine_to_decide(session: Session, actor: ActorContext, kind: str, registration_id: int) -> bool:
    """Whether the registration is of a community this admin runs (decided or not)."""
    row: MemberRegistration | OrgRegistration | None = (
        session.get(MemberRegistration, registration_id) if kind == "member" else session.get(OrgRegistration, registration_id))
    community = session.get(Region, row.community_id) if row is not None else None
    return community is not None and actor.in_scope(Role.COMMUNITY_ADMIN, community.path)


def decide(session: Session, actor: ActorContext, kind: str, registration_id: int, approve: bool,
           now: datetime | None = None, reason: str | None = None) -> None:
    """Approve or reject a pending registration (`kind` member or org) of the admin's own
    community. A rejection says why (`reason`): the applicant reads it in the message, and it
    stays in the event log."""
    reason = visible(reason)
    if not approve and not reason:
        raise Refused("input", fields={"reason": Message("registration.reason")})
    if len(reason) > REASON_MAX:
        raise Refused("input", fields={"reason": Message("registration.reason_long", {"max_length": REASON_MAX})})
    if kind == "member":
        _decide(session, actor, MemberRegistration, registration_id, approve, now, reason)
    else:
        _decide(session, actor, OrgRegistration, registration_id, approve, now, reason)


def _decide(session: Session, actor: ActorContext, model: type[Registration], registration_id: int, approve: bool,
            now: datetime | None, reason: str) -> None:
    row = session.get(model, registration_id)
    community = session.get(Region, row.community_id) if row is not None else None
    if row is None or community is None or not actor.in_scope(Role.COMMUNITY_ADMIN, community.path):
        raise Refused("registration.not_found")
    status = RegistrationStatus.APPROVED if approve else RegistrationStatus.REJECTED

    def work() -> None:
        # The conditional UPDATE decides: of two admins deciding at once, one moves the row.
        moved = changed(session, update(model).where(model.id == row.id, model.status == RegistrationStatus.PENDING)
                                .values(status=status, decided_by=actor.user_id, decided_at=now or utcnow())
                                .execution_options(synchronize_session=False))
        if moved != 1:
            raise Refused("registration.decided")
        event_id = journal.record(session, subject=model.__tablename__, subject_id=row.id,
                                  step="approve" if approve else "reject", from_state=RegistrationStatus.PENDING.value,
                                  to_state=status.value, actor_id=actor.user_id,
                                  data={"reason": reason} if not approve else None)
        # the applicant hears the answer (an organisation's admins for an organisation)
        if isinstance(row, MemberRegistration):
            told, org_name = [row.member_id], ""
        else:
            told = list(session.scalars(select(RoleGrant.user_id).where(RoleGrant.role == Role.ORG_ADMIN,
                                                                        RoleGrant.org_id == row.org_id)))
            org = session.get(Organisation, row.org_id)
            org_name = org.name if org else ""
        outbox.tell(session, event_id=event_id, users=told,
                    template="registration_approved" if approve else "registration_rejected",
                    # the template ends the reason's sentence itself (原因：{reason}。): not twice
                    values={"community": community.name, "org": org_name, "reason": reason.rstrip("。.！!；;，, ")},
                    district_id=district_id(community.path),
                    now=now, community_id=community.id)

    in_transaction(session, work)
