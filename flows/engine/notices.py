"""The inbox: who is told about a demand's event, the messages a person has, and opening one.

Notices are rows written in the transaction of the step that causes them (a `notify` effect,
an escalation), one per (event, recipient, channel): a replayed step finds its rows already
there and writes nothing (`flows.core.sql.upsert` does nothing on the unique key), so a
person hears about an event once. The in-app inbox is delivered by being written.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from flows.core.db import in_transaction
from flows.core.i18n import SOURCE
from flows.core.refusals import Refused
from flows.core.sql import upsert
from flows.workflow import notice_templates
from flows.workflow.compiled import CompiledWorkflow
from schemas.clock import as_local, utcnow
from schemas.tables import Demand, Member, NoticeStatus, Notification, Region, Role, RoleGrant
from schemas.workflow import NotifySpec

INBOX = "inbox"


def local(when: datetime | None) -> str:
    """A time as people read it (Beijing), for a message's text."""
    return as_local(when).strftime("%m-%d %H:%M") if when else ""

_ADMIN_ROLES = {"community_admin": Role.COMMUNITY_ADMIN, "district_admin": Role.DISTRICT_ADMIN,
                "city_admin": Role.CITY_ADMIN}


def users_of(session: Session, targets: Iterable[dict[str, Any]]) -> list[int]:
    """The people an escalation's targets name: a user, an organisation's admins or members,
    the admins granted the role in exactly that region; in order, each once."""
    users: list[int] = []
    for target in targets:
        if "user_id" in target:
            found = [target["user_id"]]
        elif "org_id" in target and target.get("role") == "member":
            found = list(session.scalars(select(Member.user_id).where(Member.org_id == target["org_id"])
                                         .order_by(Member.user_id)))
        elif "org_id" in target:
            found = list(session.scalars(select(RoleGrant.user_id).where(
                RoleGrant.role == Role.ORG_ADMIN, RoleGrant.org_id == target["org_id"]).order_by(RoleGrant.user_id)))
        elif target.get("role") in _ADMIN_ROLES:
            found = list(session.scalars(select(RoleGrant.user_id).where(
                RoleGrant.role == _ADMIN_ROLES[target["role"]], RoleGrant.region_id == target.get("region_id"))
                .order_by(RoleGrant.user_id)))
        else:
            found = []
        users += [u for u in found if u not in users]
    return users


def post(session: Session, *, event_id: int, demand: Demand | None, users: Iterable[int], kind: str, title: str,
         body: str = "", now: datetime | None = None) -> None:
    """Write an inbox message per recipient in the caller's transaction; once per event and person."""
    now = now or utcnow()
    for user_id in dict.fromkeys(users):
        upsert(session, Notification, {
            "event_id": event_id, "user_id": user_id, "channel": INBOX, "demand_id": demand.id if demand else None,
            "kind": kind, "title": title[:200], "body": body, "status": NoticeStatus.SENT.value, "attempts": 0,
            "created_at": now, "sent_at": now}, on=("event_id", "user_id", "channel"))


def message(session: Session, demand: Demand, workflow: CompiledWorkflow, spec: NotifySpec) -> tuple[str, str]:
    """(title, text) of a notify: its template filled with the demand's fields, in the source
    language, or its plain sentence with the demand's title as the text."""
    if spec.template is None:
        return (spec.message or "")[:200], demand.title
    template = notice_templates.shipped().get(spec.template)
    if template is None:  # the compiler refuses this; a file edited since must not lose the notice
        return spec.template, demand.title
    community = session.get(Region, demand.community_id)
    values = {"id": demand.id, "title": demand.title, "description": demand.description, "place": demand.place,
              "starts_at": local(demand.starts_at), "ends_at": local(demand.ends_at), "capacity": demand.capacity,
              "community": community.name if community else "", "state": workflow.state_title(demand.state)}
    return notice_templates.render(template, values, SOURCE)


def inbox(session: Session, user_id: int, *, limit: int = 100) -> list[Notification]:
    """A person's in-app messages, newest first."""
    return list(session.scalars(select(Notification).where(Notification.user_id == user_id,
                                                            Notification.channel == INBOX)
                                .order_by(Notification.id.desc()).limit(limit)))


def unread_count(session: Session, user_id: int) -> int:
    """How many of a person's in-app messages they have not opened (the badge on every page)."""
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.channel == INBOX, Notification.read_at.is_(None))) or 0


def open_notice(session: Session, user_id: int, notice_id: int, *, now: datetime | None = None) -> Notification:
    """Mark one of the person's messages read and hand it back; someone else's answers
    `not_found`, as a missing one does, so ids reveal nothing."""
    notice = session.get(Notification, notice_id)
    if notice is None or notice.user_id != user_id or notice.channel != INBOX:
        session.rollback()
        raise Refused("notice.not_found")
    if notice.read_at is None:
        when = now or utcnow()
        in_transaction(session, lambda: session.execute(
            update(Notification).where(Notification.id == notice_id, Notification.read_at.is_(None))
            .values(read_at=when).execution_options(synchronize_session=False)))
        session.refresh(notice)
    return notice

