"""Who is acting: a user's roles, scopes, registrations and skills, loaded once per action.

The engine decides every permission from this value and the demand, so the same rules hold
for the web forms, the admin console, the command line and the tests.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.orm import Session

from schemas.tables import Role

# The roles that govern regions, highest first; a higher admin may act for the communities below.
ADMIN_ROLES = (Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.COMMUNITY_ADMIN)


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
    def system(cls) -> ActorContext:
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

    def admin_paths(self) -> list[str]:
        """Region paths this user governs as an admin ('/1/' for the city admin covers all)."""
        return [g.region_path for g in self.grants if g.role in ADMIN_ROLES and g.region_path]

    def highest_admin_role(self) -> Role | None:
        """The most senior admin role held, if any."""
        roles = {g.role for g in self.grants}
        return next((r for r in ADMIN_ROLES if r in roles), None)

    def orgs_registered_with(self, community_id: int) -> list[int]:
        """Organisations this user administers that have reported in to the community."""
        return sorted(o for o in self.org_admin_of if community_id in self.org_communities.get(o, ()))


@dataclass(frozen=True)
class Person(ActorContext):
    """A person acting (never the system): their user id is known."""

    user_id: int


# One statement (a UNION ALL of tagged rows) rather than one per table, written once as SQL
# that both engines read: this runs on every request, and building and caching an ORM
# statement of this size cost more than running it (profiled on the claim path).
ACTOR_SQL_FOR = """
    SELECT 'u' AS kind, NULL AS role, NULL AS txt, CASE WHEN is_active THEN 1 ELSE 0 END AS num
      FROM users WHERE id = {user}
    UNION ALL
    SELECT 'g', role_grants.role, regions.path, role_grants.org_id
      FROM role_grants LEFT OUTER JOIN regions ON regions.id = role_grants.region_id
     WHERE role_grants.user_id = {user}
    UNION ALL
    SELECT 'm', NULL, NULL, org_id FROM members WHERE user_id = {user}
    UNION ALL
    SELECT 'r', NULL, NULL, community_id FROM member_registrations
     WHERE member_id = {user} AND status = 'approved'
    UNION ALL
    SELECT 'o', NULL, CAST(org_id AS VARCHAR(20)), community_id FROM org_registrations
     WHERE status = 'approved' AND org_id IN (
           SELECT org_id FROM role_grants WHERE user_id = {user} AND role = 'org_admin' AND org_id IS NOT NULL)
    UNION ALL
    SELECT 's', NULL, skills.code, NULL
      FROM skills JOIN member_skills ON member_skills.skill_id = skills.id
     WHERE member_skills.member_id = {user}
"""


def actor_sql(user: str = ":user_id") -> str:
    """The actor's tagged rows for the user an SQL expression names: a parameter, or a subquery
    when another statement finds the user (a log-in session, an app's token)."""
    return ACTOR_SQL_FOR.format(user=user)


_ACTOR_ROWS = text(actor_sql())


def load_actor(session: Session, user_id: int) -> Person | None:
    """The acting user's context, or None for an unknown or inactive user."""
    return person_of(user_id, session.execute(_ACTOR_ROWS, {"user_id": user_id}).all())


def person_of(user_id: int, rows: Sequence[Row[Any]] | Sequence[tuple[Any, ...]]) -> Person | None:
    """The context `ACTOR_SQL`'s tagged rows describe, or None for an unknown or inactive user."""
    if not any(kind == "u" and num for kind, _, _, num in rows):
        return None
    grants = tuple(Grant(Role(role), path, n) for kind, role, path, n in rows if kind == "g")
    member_org = next((n for kind, _, _, n in rows if kind == "m"), None)
    org_communities: dict[int, frozenset[int]] = {}
    for kind, _, org, community_id in rows:
        if kind == "o":
            org_communities[int(org)] = org_communities.get(int(org), frozenset()) | {community_id}
    return Person(
        user_id=user_id, grants=grants, member_org_id=member_org,
        registered_communities=frozenset(n for kind, _, _, n in rows if kind == "r"),
        org_admin_of=frozenset(g.org_id for g in grants if g.role is Role.ORG_ADMIN and g.org_id),
        org_communities=org_communities, skills=frozenset(code for kind, _, code, _ in rows if kind == "s"),
    )
