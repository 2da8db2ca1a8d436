"""A person's own settings that change how pages look, not what they may do: for now the elder
layout (长辈版). The person switches it themselves; community staff may switch it for a resident
or member of their community who cannot find the switch (the same reach as a password reset).
Each change is one row in the event log, so "who turned my phone's text big" has an answer."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.orm import Session

from flows.core import journal
from flows.core.i18n import N_
from flows.core.refusals import Refused
from flows.people import phones
from flows.people.actors import ActorContext
from flows.people.passwords import manageable_user
from schemas.clock import utcnow
from schemas.tables import Region, Role, User

# What a community's phone may look like: digits, a leading +, dashes and spaces, 3 to 20 long.
PHONE = re.compile(r"\+?[\d][\d -]{1,18}\d")


def elder_mode(session: Session, user_id: int | None) -> bool:
    """Whether this person chose (or was given) the elder layout; False for a visitor."""
    user = session.get(User, user_id) if user_id is not None else None
    return bool(user and user.elder_mode)


def set_own_elder_mode(session: Session, user_id: int, on: bool, now: datetime | None = None) -> None:
    """The person's own one-tap switch, remembered on their account (every device they log in on)."""
    user = session.get(User, user_id)
    if user is None:
        raise Refused("account.not_found")
    _set(session, user, on, user_id, now)


def set_elder_mode_for(session: Session, actor: ActorContext, username: str, on: bool,
                       now: datetime | None = None) -> User:
    """Community staff switch it for a resident or member they govern (refused otherwise, as for
    a password reset: the same people, the same answer for someone out of reach)."""
    user = manageable_user(session, actor, username)
    _set(session, user, on, actor.user_id, now)
    return user


def community_phone(session: Session, community_ids: set[int]) -> tuple[str, str] | None:
    """(community name, phone) for the "call the community" button: the person's community with a
    phone, the lowest id first so the button does not change between pages."""
    for region_id in sorted(community_ids):
        region = session.get(Region, region_id)
        if region is not None and region.phone:
            return region.name, region.phone
    return None


def set_community_phone(session: Session, actor: ActorContext, community_id: int, phone: str,
                        now: datetime | None = None) -> Region:
    """A community's admin keeps the number residents call (empty removes the button)."""
    region = session.get(Region, community_id)
    if region is None or not actor.in_scope(Role.COMMUNITY_ADMIN, region.path):
        raise Refused("region.not_found")
    number = " ".join(phone.split())
    if number and not PHONE.fullmatch(number):
        raise Refused("input", fields={"phone": N_("请填写电话号码，如 0458-3601234")})
    region.phone = number or None
    journal.record(session, subject="regions", subject_id=region.id, step="phone", from_state=None, to_state=None,
                   actor_id=actor.user_id, data={"phone": region.phone}, at=now or utcnow())
    session.commit()
    return region


def set_own_phone(session: Session, actor: ActorContext, phone: str, now: datetime | None = None) -> str | None:
    """A person keeps the number the member who takes up their wish calls (and their community's
    staff): a self-registered resident had nowhere to give one, so a claimed wish said the member
    would call and showed no number. Empty removes it. Returns the number as kept."""
    number = phones.own_phone(phone)
    user = session.get_one(User, actor.user_id)
    if (user.phone or None) == number:
        return user.phone
    user.phone = number
    journal.record(session, subject="users", subject_id=user.id, step="phone", from_state=None, to_state=None,
                   actor_id=actor.user_id, data={"phone": user.phone}, at=now or utcnow())
    session.commit()
    return user.phone


def _set(session: Session, user: User, on: bool, actor_id: int | None, now: datetime | None) -> None:
    if user.elder_mode == on:
        return
    user.elder_mode = on
    journal.record(session, subject="users", subject_id=user.id, step="elder_mode", from_state=None,
                   to_state=None, actor_id=actor_id, data={"on": on}, at=now or utcnow())
    session.commit()
