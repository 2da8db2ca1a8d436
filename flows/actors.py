"""Who is acting: a user's roles, scopes, registrations and skills, loaded once per action.

The engine decides every permission from this value and the demand, so the same rules hold
for the web forms, the admin console, the command line and the tests.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.tables import (
    Member,
    MemberRegistration,
    OrgRegistration,
    Region,
    RegistrationStatus,
    Role,
    RoleGrant,
    Skill,
    User,
    member_skills,
)

ADMIN_ROLES = (Role.COMMUNITY_ADMIN, Role.DISTRICT_ADMIN, Role.CITY_ADMIN)


@dataclass(frozen=True)
class Grant:
    role: Role
    region_path: str | None
    org_id: int | None


@dataclass(frozen=True)
class ActorContext:
    """Everything the engine needs to know about the actor; `user_id None` is the system."""

    user_id: int | None
    grants: tuple[Grant, ...] = ()
    member_org_id: int | None = None
    registered_communities: frozenset[int] = frozenset()
    org_admin_of: frozenset[int] = frozenset()
    org_communities: dict[int, frozenset[int]] = field(default_factory=dict)
    skills: frozenset[str] = frozenset()

    @classmethod
    def system(cls) -> "ActorContext":
        return cls(user_id=None)

    @property
    def is_system(self) -> bool:
        return self.user_id is None

    def has_role(self, role: Role | str) -> bool:
        role = Role(role)
        if role is Role.COMMUNITY_ADMIN:  # higher admins may act for the communities below them
            return any(g.role in ADMIN_ROLES for g in self.grants)
        return any(g.role is role for g in self.grants)

    def in_scope(self, role: Role | str, community_path: str) -> bool:
        """Whether a grant of `role` covers the community at `community_path`."""
        role = Role(role)
        roles = ADMIN_ROLES if role is Role.COMMUNITY_ADMIN else (role,)
        return any(g.role in roles and g.region_path and community_path.startswith(g.region_path)
                   for g in self.grants)

    def orgs_registered_with(self, community_id: int) -> list[int]:
        """Organisations this user administers that have reported in to the community."""
        return sorted(o for o in self.org_admin_of if community_id in self.org_communities.get(o, ()))


def load_actor(session: Session, user_id: int) -> ActorContext | None:
    """The acting user's context, or None for an unknown or inactive user."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    rows = session.execute(
        select(RoleGrant.role, Region.path, RoleGrant.org_id)
        .outerjoin(Region, Region.id == RoleGrant.region_id)
        .where(RoleGrant.user_id == user_id)
    ).all()
    grants = tuple(Grant(role, path, org) for role, path, org in rows)
    member = session.get(Member, user_id)
    registered = frozenset(session.scalars(
        select(MemberRegistration.community_id).where(
            MemberRegistration.member_id == user_id, MemberRegistration.status == RegistrationStatus.APPROVED)
    ))
    admin_of = frozenset(g.org_id for g in grants if g.role is Role.ORG_ADMIN and g.org_id)
    org_communities: dict[int, frozenset[int]] = {}
    if admin_of:
        for org_id, community_id in session.execute(
            select(OrgRegistration.org_id, OrgRegistration.community_id).where(
                OrgRegistration.org_id.in_(admin_of), OrgRegistration.status == RegistrationStatus.APPROVED)
        ):
            org_communities[org_id] = org_communities.get(org_id, frozenset()) | {community_id}
    skills = frozenset(session.scalars(
        select(Skill.code).join(member_skills, member_skills.c.skill_id == Skill.id)
        .where(member_skills.c.member_id == user_id)
    ))
    return ActorContext(
        user_id=user_id, grants=grants, member_org_id=member.org_id if member else None,
        registered_communities=registered, org_admin_of=admin_of, org_communities=org_communities, skills=skills,
    )
