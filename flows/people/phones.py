"""A person's own telephone number, as they give it at sign-up or on 账号与安全: the number the
member who takes up their wish calls. One rule for both doors, so a number accepted at sign-up is
one the account page would accept too."""
from __future__ import annotations

import re

from flows.core.i18n import N_
from flows.core.refusals import Refused

# A mobile (1xxxxxxxxxx) or a landline with its area code (0458-3601234).
OWN_PHONE = re.compile(r"1\d{10}|0\d{2,3}-?\d{7,8}")
RULE = N_("请填写手机号或带区号的电话，如 13904581234 或 0458-3601234")


def kept(typed: str | None) -> str | None:
    """The number as kept (spaces dropped), None for nothing typed."""
    return "".join((typed or "").split()) or None


def reachable(number: str | None) -> bool:
    """Nothing, or a number we could call."""
    return number is None or OWN_PHONE.fullmatch(number) is not None


def own_phone(typed: str | None) -> str | None:
    """`kept`, refused beside the `phone` field when it is not a number we could call."""
    number = kept(typed)
    if not reachable(number):
        raise Refused("input", fields={"phone": RULE})
    return number
