"""Where a demand page's 返回 leads.

A demand is opened from many lists (the hall, 待办, a message, the organisation's file, the
service record, a booking). Its back link used to lead to 我的 whatever the way in, so someone
who came from the hall lost their place. A list's link now says where it is (`?from=hall`), and
the page goes back there. Only the names below are honoured, so the parameter cannot send anyone
off the site, and a list this person cannot open (待办 for a resident) is not offered. Without
one (a bookmark, the page a step's form returns to), the link leads to where the demand lives
for this person: 我的 for its requester and the people who claimed it, 待办 for the community's
admins, otherwise the hall.
"""
from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit

from flask import request, url_for
from flask_babel import gettext as _

from admin.portal.nav import Nav
from flows.core.i18n import N_

# The lists a demand is opened from: their endpoint and their back label (translated when shown).
PLACES: dict[str, tuple[str, str]] = {
    "hall": ("portal.hall", N_("‹ 返回任务大厅")),
    "queue": ("portal.queue", N_("‹ 返回待办")),
    "messages": ("portal.messages", N_("‹ 返回消息")),
    "org": ("portal.org", N_("‹ 返回组织档案")),
    "service": ("portal.my_service", N_("‹ 返回服务记录")),
    "book": ("portal.book", N_("‹ 返回预约服务")),
    "bookings": ("portal.bookings", N_("‹ 返回预约安排")),
    "resources": ("portal.my_resources", N_("‹ 返回我的资源")),
    "me": ("portal.me", N_("‹ 返回我的")),
}


# The lists not everyone has: the place of the portal's nav (admin/portal/nav.py) that opens them.
_NEEDS = {"hall": "hall", "queue": "admin", "bookings": "admin", "org": "org", "book": "book", "resources": "resources"}


class Back(NamedTuple):
    href: str
    label: str


def back_to(came_from: str | None, nav: Nav, *, involved: bool, governs: bool) -> Back:
    """The back link of a demand page for this person, `came_from` being the `from` parameter."""
    def opens(name: str) -> bool:
        return name in PLACES and bool(getattr(nav, _NEEDS.get(name, ""), True))
    name = came_from if came_from is not None and opens(came_from) else (
        "me" if involved else "queue" if governs else "hall" if opens("hall") else "me")
    endpoint, label = PLACES[name]
    if name == "resources" and not nav.org:  # a community admin's list is the community's
        label = N_("‹ 返回社区资源")
    return Back(url_for(endpoint), _(label))


def came_from() -> str | None:
    """The request's `from` when it names one of our lists, to carry through a step's form and
    back to the demand (None otherwise, which url_for leaves out)."""
    name = request.args.get("from")
    return name if name in PLACES else None


def demand_url(demand_id: int) -> str:
    """The demand's page, keeping the way in this request came with."""
    name = came_from()
    return url_for("portal.demand", demand_id=demand_id) + (f"?from={name}" if name else "")


def referrer_path() -> str | None:
    """The page of ours that sent this request (its path and query), for a "back" on an error
    page: a form sent with a bad value returns the person to the form, not to the home page.
    Another site's page, or none, is None (Referrer-Policy: same-origin sends it only from ours)."""
    parts = urlsplit(request.referrer or "")
    if parts.netloc != request.host or not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")
