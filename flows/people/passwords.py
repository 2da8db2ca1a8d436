"""Passwords: the rule for a new one, changing one's own, and an admin's reset. Each ends the
user's other sessions in the same transaction as the new hash, so a stolen cookie dies with
the old password."""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from flows.core import journal
from flows.core.db import in_transaction
from flows.core.i18n import N_
from flows.core.refusals import Refused
from flows.people import sessions, usernames
from flows.people.actors import ActorContext
from schemas.clock import utcnow
from schemas.tables import MemberRegistration, Region, Role, RoleGrant, User

# ASVS 2.1.1/2.1.2: at least 12 characters, at least 64 allowed, no composition rules.
MIN_LENGTH, MAX_LENGTH = 12, 128
# The passwords tried first against any site, and this programme's own demo password.
COMMON = frozenset({"123456789012", "password1234", "qwertyuiop12", "1234567890ab", "111111111111",
                    "yijia2026yijia", "abc123456789", "iloveyou1234", "000000000000"})
# Who an admin's reset may reach: people, never another admin or an organisation's admin.
RESETTABLE = frozenset({Role.RESIDENT, Role.MEMBER})


def password_problem(password: str, username: str = "") -> str | None:
    """Why `password` may not be chosen (a field message), or None."""
    if len(password) < MIN_LENGTH:
        return N_("密码至少 12 位")
    if len(password) > MAX_LENGTH:
        return N_("密码最多 128 位")
    lowered = password.lower()
    if lowered in COMMON or len(set(password)) < 4 or (username and username.lower() in lowered):
        return N_("这个密码太常见或太容易猜到，请换一个")
    return None


def change_password(session: Session, user_id: int, current: str, new: str, keep_token: str | None,
                    now: datetime | None = None, keep_device: int | None = None) -> int:
    """The user's own change: the current password must be right; every other session ends
    (all but the web session `keep_token`, or the app's device session `keep_device`).
    Returns how many other sessions were ended."""
    user = session.get(User, user_id)
    if user is None:
        raise Refused("account.not_found")
    right = check_password_hash(user.password_hash, current)
    errors = {} if right else {"current": N_("当前密码不对")}
    problem = password_problem(new, user.username)
    if problem:
        errors["new"] = problem
    elif new == current:
        errors["new"] = N_("新密码不能与当前密码相同")
    if errors:
        raise Refused("input", fields=errors)

    def work() -> int:
        user.password_hash = generate_password_hash(new)
        user.must_change_password = False
        ended = sessions.close_all(session, user_id, keep=keep_token, keep_device=keep_device)
        journal.record(session, subject="users", subject_id=user_id, step="change_password", from_state=None,
                       to_state=None, actor_id=user_id, data={"sessions_ended": ended}, at=now or utcnow())
        return ended

    return in_transaction(session, work)


def manageable_user(session: Session, actor: ActorContext, username: str) -> User:
    """A resident or member of a community this admin governs, found by user name."""
    user = usernames.find(session, username)  # as typed, in any case (names are unique ignoring it)
    if user is None or not actor.admin_paths():
        raise Refused("account.not_found")
    grants = session.execute(select(RoleGrant.role, Region.path).outerjoin(Region, Region.id == RoleGrant.region_id)
                             .where(RoleGrant.user_id == user.id)).all()
    homes = [path for _, path in grants if path]
    homes += list(session.scalars(select(Region.path).join(MemberRegistration, MemberRegistration.community_id
                                                           == Region.id).where(MemberRegistration.member_id == user.id)))
    if not any(actor.in_scope(Role.COMMUNITY_ADMIN, path) for path in homes):
        raise Refused("account.not_found")
    if user.id == actor.user_id or any(role not in RESETTABLE for role, _ in grants):
        raise Refused("account.not_resettable")
    return user


def reset_password(session: Session, actor: ActorContext, username: str, now: datetime | None = None
                   ) -> tuple[User, str]:
    """A temporary password for a resident or member in the admin's scope, shown once to the
    admin; the user must choose a new one at the next log-in, and every session ends."""
    user = manageable_user(session, actor, username)
    temporary = secrets.token_urlsafe(9)  # 12 characters, ~72 bits

    def work() -> tuple[User, str]:
        user.password_hash = generate_password_hash(temporary)
        user.must_change_password = True
        ended = sessions.close_all(session, user.id)
        journal.record(session, subject="users", subject_id=user.id, step="reset_password", from_state=None,
                       to_state=None, actor_id=actor.user_id, data={"sessions_ended": ended}, at=now or utcnow())
        return user, temporary

    return in_transaction(session, work)


def sign_out_everywhere(session: Session, actor: ActorContext, username: str, now: datetime | None = None) -> int:
    """An admin ends every session of a resident or member in scope (a lost phone)."""
    user = manageable_user(session, actor, username)

    def work() -> int:
        ended = sessions.close_all(session, user.id)
        journal.record(session, subject="users", subject_id=user.id, step="sign_out_everywhere", from_state=None,
                       to_state=None, actor_id=actor.user_id, data={"sessions_ended": ended}, at=now or utcnow())
        return ended

    return in_transaction(session, work)
