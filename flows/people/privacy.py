"""Personal data shown only to whom it is for: real names and phone numbers in full for the
people of a demand and the admins who govern its community, masked for everyone else
(张** / 138****1234). Used by the portal's templates (filters `mask_name`, `mask_phone`,
`mask_phones_in`), and meant for exports below district level and for anything shown outside
a log-in. See docs/security.md for where personal data lives.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from flows.people.actors import ActorContext
from schemas.tables import Role

# Mainland mobile numbers (11 digits from 1) and landlines (0 + area code + 7–8 digits), also
# written with spaces or dashes, as people type them into a wish.
_PHONE = re.compile(r"(?<!\d)(1\d{2})[- ]?(\d{4})[- ]?(\d{4})(?!\d)|(?<!\d)(0\d{2,3})[- ]?(\d{3,4})(\d{4})(?!\d)")


def mask_name(name: str | None) -> str:
    """The family name and a star per other character: 张三 → 张*, 欧阳娜娜 → 欧***; a Latin
    name keeps its first letter (Li Lei → L******)."""
    text = (name or "").strip()
    if len(text) <= 1:
        return text
    return text[0] + "*" * (len(text) - 1)


def mask_phone(phone: str | None) -> str:
    """138****1234 for a mobile; the area code and last four for a landline; else all stars
    but the last two."""
    digits = re.sub(r"\D", "", phone or "")
    if not digits:
        return ""
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}****{digits[-4:]}"
    if digits.startswith("0") and len(digits) >= 10:
        area = 3 if digits[1] in "12" else 4
        return digits[:area] + "*" * (len(digits) - area - 4) + digits[-4:]
    return "*" * max(0, len(digits) - 2) + digits[-2:]


def mask_phones_in(text: str | None) -> str:
    """Free text (a wish's description) with every phone number in it masked."""
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), text or "")


def sees_personal_data(actor: ActorContext, community_path: str, participants: Iterable[int | None],
                       holder_org: int | None = None) -> bool:
    """Whether `actor` sees the real names and numbers around a demand: its requester and the
    people who claimed it, the admins of the organisation holding it (the one that took on the
    activity, or owns the resource asked for: they decide on the request and call the person),
    and the admins who govern its community. Other members browsing the hall, other
    organisations' admins and visitors see them masked."""
    if actor.user_id is not None and actor.user_id in set(participants):
        return True
    if holder_org is not None and holder_org in actor.org_admin_of:
        return True
    return actor.in_scope(Role.COMMUNITY_ADMIN, community_path)
