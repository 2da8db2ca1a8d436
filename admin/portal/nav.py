"""Which of the portal's places the logged-in person can use, so that pages link only to
those: a link that answers 404 or an empty page for this role is not shown.

Each answer is worked out the first time a page asks for it, once per request; what a person
may start comes from the published workflows (flows.engine.menu), not from their role's name.
"""
from __future__ import annotations

from functools import cached_property

from flask import g
from flask_login import current_user

from admin.auth import actor
from admin.database import db
from flows.engine import menu
from flows.notices import inbox as notices
from flows.people import joining, regions
from schemas.tables import Role


class Nav:
    """The logged-in person's places; every answer is False for a visitor."""

    def __init__(self, logged_in: bool):
        self.logged_in = logged_in

    @cached_property
    def admin(self) -> bool:
        """Governs a region: the work queue, approvals, the counter and the console."""
        return self.logged_in and bool(actor().admin_paths())

    @cached_property
    def attached(self) -> bool:
        """Belongs to a community as a resident, a member or an organisation: hall and shop."""
        return self.logged_in and bool(regions.region_ids_of(db(), actor()))

    @cached_property
    def hall(self) -> bool:
        me = actor() if self.logged_in else None
        return me is not None and (self.attached or me.member_org_id is not None or me.has_role(Role.MEMBER))

    @cached_property
    def checkin(self) -> bool:
        """Members report in to a community, organisation admins register their organisation."""
        return self.logged_in and (actor().has_role(Role.MEMBER) or bool(actor().org_admin_of))

    @cached_property
    def resources(self) -> bool:
        """Keeps shared resources: an organisation's admin (我的资源) or a community's (社区资源)."""
        return self.org or self.admin

    @cached_property
    def member(self) -> bool:
        return self.logged_in and actor().has_role(Role.MEMBER)

    @cached_property
    def org(self) -> bool:
        return self.logged_in and bool(actor().org_admin_of)

    @cached_property
    def join_requests(self) -> int:
        """Members waiting for an answer from the organisations I administer."""
        return joining.count(db(), actor()) if self.org else 0

    @cached_property
    def unread(self) -> int:
        """Messages not yet opened: the badge on every page."""
        return notices.unread_count(db(), actor().user_id) if self.logged_in else 0

    @cached_property
    def starts(self) -> list[menu.Startable]:
        return menu.startable(db(), actor()) if self.logged_in else []

    @cached_property
    def publish(self) -> bool:
        """Something to start from the 发布 menu (booking is started from the booking page)."""
        return any(not e.booking for e in self.starts)

    @cached_property
    def book(self) -> bool:
        return any(e.booking and not e.on_behalf for e in self.starts)

    @cached_property
    def own_starts(self) -> list[menu.Startable]:
        """What the person starts themselves (not 代办, not a booking): home-page shortcuts."""
        return [e for e in self.starts if not e.on_behalf and not e.booking]


def nav() -> Nav:
    """The request's Nav (made on first use)."""
    if "nav" not in g:
        g.nav = Nav(bool(current_user.is_authenticated))
    return g.nav
