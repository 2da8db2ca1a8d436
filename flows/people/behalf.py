"""代办: the people a community admin may act for, and registering a resident who has no
phone so that a wish can be posted in their name (they stay its requester)."""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from flows.core import journal
from flows.core.db import in_transaction
from flows.core.i18n import N_, Message
from flows.core.refusals import Refused
from flows.core.text import visible
from flows.people import passwords
from flows.people.actors import ActorContext
from flows.people.regions import admin_communities
from schemas.tables import MemberRegistration, Region, RegistrationStatus, Role, RoleGrant, User

PHONE = re.compile(r"^[0-9+\- ]{5,20}$")


@dataclass(frozen=True)
class Person:
    """Someone an admin may act for, with the community they belong to there."""

    user_id: int
    name: str
    community_id: int
    community: str


def people(session: Session, admin: ActorContext, role: str, community_ids: list[int], *, q: str = "",
           limit: int = 100) -> list[Person]:
    """Residents (by their grant) or members (by their approved report-in) of the communities
    the admin governs among `community_ids`, found by name."""
    governed = {c.id: c.name for c in admin_communities(session, admin)}
    ids = [c for c in community_ids if c in governed]
    if not ids:
        return []
    query: Any  # a Select of (id, name, community) from either table
    if role == Role.MEMBER.value:
        query = (select(User.id, User.display_name, MemberRegistration.community_id)
                 .join(MemberRegistration, MemberRegistration.member_id == User.id)
                 .where(MemberRegistration.community_id.in_(ids),
                        MemberRegistration.status == RegistrationStatus.APPROVED))
    else:
        query = (select(User.id, User.display_name, RoleGrant.region_id).join(RoleGrant, RoleGrant.user_id == User.id)
                 .where(RoleGrant.role == Role(role), RoleGrant.region_id.in_(ids)))
    query = query.where(User.is_active.is_(True))
    if q.strip():
        query = query.where(User.display_name.contains(q.strip()[:32], autoescape=True))
    rows = session.execute(query.order_by(User.display_name, User.id).limit(limit)).all()
    return [Person(user_id, name, community_id, governed[community_id]) for user_id, name, community_id in rows]


def person(session: Session, admin: ActorContext, user_id: int, role: str) -> Person | None:
    """The person if they have `role` in a community the admin governs; None otherwise, so a
    typed id tells nobody else's name."""
    governed = [c.id for c in admin_communities(session, admin)]
    query: Any  # a Select of (id, name, community) from either table
    if role == Role.MEMBER.value:
        query = select(MemberRegistration.community_id).where(
            MemberRegistration.member_id == user_id, MemberRegistration.status == RegistrationStatus.APPROVED)
    else:
        query = select(RoleGrant.region_id).where(RoleGrant.user_id == user_id, RoleGrant.role == Role(role))
    communities = [c for c in session.scalars(query) if c in governed]
    user = session.get(User, user_id) if communities else None
    if user is None or not user.is_active:
        return None
    region = session.get(Region, communities[0])
    return Person(user.id, user.display_name, region.id, region.name) if region else None


def register_resident(session: Session, admin: ActorContext, community_id: int, display_name: str, *,
                      phone: str | None = None, password: str | None = None, request_key: str) -> User:
    """A resident of a community the admin governs, registered by the admin (no phone needed).

    The username is derived from the admin and the form's one-time key, so the same form sent
    twice (a double tap, the back button) finds the resident it made instead of a second one.
    Without a password the account cannot log in until an admin sets one.
    """
    errors: dict[str, str] = {}
    name = visible(display_name)
    if not name or len(name) > 64:
        errors["display_name"] = N_("请填写姓名（最多 64 字）")
    phone = (phone or "").strip() or None
    if phone is not None and not PHONE.match(phone):
        errors["phone"] = N_("电话号码格式不对")
    problem = passwords.password_problem(password) if password else None
    if problem:
        errors["password"] = problem
    community = session.get(Region, community_id) if community_id else None
    if community is None or community.id not in {c.id for c in admin_communities(session, admin)}:
        errors["community_id"] = N_("请选择您管辖的社区")
    key = (request_key or "").strip()[:64]
    if not key:
        raise Refused("input", fields={"display_name": N_("表单已过期，请刷新后重试")})
    if errors or community is None:
        raise Refused("input", fields=errors)
    username = "r" + hashlib.sha256(f"{admin.user_id}:{key}".encode()).hexdigest()[:15]
    existing = session.scalar(select(User).where(User.username == username))
    if existing is not None:
        return existing
    if phone is not None:  # the same person registered twice (by another admin, another day)
        same = session.scalar(select(User.display_name).join(RoleGrant, RoleGrant.user_id == User.id).where(
            User.phone == phone, RoleGrant.role == Role.RESIDENT, RoleGrant.region_id == community.id).limit(1))
        if same is not None:
            raise Refused("input", fields={"phone": Message("behalf.phone_taken", {"name": same})})

    def work() -> User:
        # No password given: a random one nobody knows, so the account cannot log in yet.
        user = User(username=username, display_name=name, phone=phone,
                    password_hash=generate_password_hash(password or secrets.token_urlsafe(32)))
        user.grants = [RoleGrant(role=Role.RESIDENT, region_id=community.id)]
        session.add(user)
        session.flush()
        journal.record(session, subject="users", subject_id=user.id, step="register_on_behalf", from_state=None,
                       to_state="active", actor_id=admin.user_id, data={"community_id": community.id})
        return user

    try:
        return in_transaction(session, work)
    except IntegrityError:  # the same form, sent in parallel: the other request made the resident
        found = session.scalar(select(User).where(User.username == username))
        if found is None:
            raise
        return found
