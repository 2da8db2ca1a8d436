"""Accounts and reporting in (报到): sign-up, log-in, registrations and
their approval by the community. Every decision is an event in the log."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from flows.core import journal
from flows.core.i18n import N_
from flows.core.refusals import Refused
from flows.people import passwords
from flows.people.actors import ActorContext
from schemas.clock import utcnow
from schemas.tables import (
    Member,
    MemberRegistration,
    OrgRegistration,
    Region,
    RegionLevel,
    RegistrationStatus,
    Role,
    RoleGrant,
    User,
)

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")
# Compared against when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")
# Names that would let a newcomer pass for the programme's staff.
RESERVED = frozenset({"admin", "root", "administrator", "system", "yijia", "support", "staff"})


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The user for these credentials, or None; never says which part was wrong.

    Every path checks one password hash (a dummy one for an unknown or inactive user), so the
    answer takes as long whether the user exists or not. Nothing is written: throttling
    repeated failures is the web layer's (admin/security/throttle.py), per client, so that an
    attacker cannot lock anyone else out of their account.
    """
    user = session.scalar(select(User).where(User.username == username.strip()))
    right = check_password_hash(user.password_hash if user is not None else _DUMMY_HASH, password)
    return user if user is not None and right and user.is_active else None


def sign_up(session: Session, *, username: str, password: str, display_name: str, community_id: int,
            as_member: bool, work_unit: str | None = None) -> User:
    """A resident of a community, or a member whose report-in waits for the community's approval."""
    errors = {}
    if not USERNAME.match(username or ""):
        errors["username"] = N_("用户名为 3–32 位字母、数字、下划线")
    problem = passwords.password_problem(password or "", username or "")
    if problem:
        errors["password"] = problem
    if not (display_name or "").strip() or len(display_name) > 64:
        errors["display_name"] = N_("请填写姓名（最多 64 字）")
    community = session.get(Region, community_id) if community_id else None
    if community is None or community.level is not RegionLevel.COMMUNITY:
        errors["community_id"] = N_("请选择社区")
    if errors:
        raise Refused("input", fields=errors)
    # Hashed before the name is checked, so a taken name answers as slowly as a free one.
    password_hash = generate_password_hash(password)
    if username.lower() in RESERVED:
        raise Refused("input", fields={"username": N_("这个用户名不可用，请换一个")})
    user = User(username=username, password_hash=password_hash, display_name=display_name.strip())
    user.grants = [RoleGrant(role=Role.MEMBER if as_member else Role.RESIDENT, region_id=community_id)]
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        # The same sentence as for a reserved name; the web layer throttles sign-ups per client,
        # so names cannot be enumerated at speed (docs/security.md).
        raise Refused("input", fields={"username": N_("这个用户名不可用，请换一个")}) from None
    if as_member:
        session.add(Member(user_id=user.id, work_unit=(work_unit or "").strip()[:128] or None))
        session.flush()
        session.add(MemberRegistration(member_id=user.id, community_id=community_id))
    session.commit()
    return user


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


def _register(session: Session, row, actor: ActorContext):
    community = session.get(Region, row.community_id)
    if community is None or community.level is not RegionLevel.COMMUNITY:
        raise Refused("community")
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Refused("duplicate") from None
    journal.record(session, subject=row.__tablename__, subject_id=row.id, step="report_in", from_state=None,
                   to_state="pending", actor_id=actor.user_id, data={"community_id": row.community_id})
    session.commit()
    return row


def pending(session: Session, actor: ActorContext) -> list[tuple[str, object, str, str]]:
    """(kind, registration, who, community) awaiting this admin's decision."""
    from flows.people.regions import admin_communities
    from schemas.tables import Organisation

    communities = {c.id: c.name for c in admin_communities(session, actor)}
    if not communities:
        return []
    rows = []
    for reg, name in session.execute(select(MemberRegistration, User.display_name)
                                     .join(User, User.id == MemberRegistration.member_id)
                                     .where(MemberRegistration.status == RegistrationStatus.PENDING,
                                            MemberRegistration.community_id.in_(communities))):
        rows.append(("member", reg, name, communities[reg.community_id]))
    for reg, name in session.execute(select(OrgRegistration, Organisation.name)
                                     .join(Organisation, Organisation.id == OrgRegistration.org_id)
                                     .where(OrgRegistration.status == RegistrationStatus.PENDING,
                                            OrgRegistration.community_id.in_(communities))):
        rows.append(("org", reg, name, communities[reg.community_id]))
    return rows


def decide(session: Session, actor: ActorContext, kind: str, registration_id: int, approve: bool,
           now: datetime | None = None) -> None:
    """Approve or reject a pending registration of the admin's own community."""
    model = MemberRegistration if kind == "member" else OrgRegistration
    row = session.get(model, registration_id)
    community = session.get(Region, row.community_id) if row else None
    if row is None or not actor.in_scope(Role.COMMUNITY_ADMIN, community.path):
        raise Refused("not_found")
    status = RegistrationStatus.APPROVED if approve else RegistrationStatus.REJECTED
    moved = session.execute(update(model).where(model.id == row.id, model.status == RegistrationStatus.PENDING)
                            .values(status=status, decided_by=actor.user_id, decided_at=now or utcnow())
                            .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        session.rollback()
        raise Refused("state", {"state": row.status.value, "step": "审批"})
    journal.record(session, subject=model.__tablename__, subject_id=row.id, step="approve" if approve else "reject",
                   from_state="pending", to_state=status.value, actor_id=actor.user_id)
    session.commit()
