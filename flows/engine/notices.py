"""What a demand's event tells whom: the people a target names, and a `notify:`'s message in
the words of the demand's district (flows.notices writes and delivers it).

Notices are rows written in the transaction of the step that causes them (a `notify` effect,
an escalation), one per (event, recipient, channel): a replayed step finds its rows already
there and writes nothing, so a person hears about an event once per channel.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.core.i18n import SOURCE
from flows.core.moments import Moment, moment
from flows.notices import overrides
from flows.notices import templates as notice_templates
from flows.notices.outbox import Render, Short, post
from flows.people.regions import district_id
from flows.workflow.compiled import CompiledWorkflow
from schemas.tables import Demand, Member, Organisation, Region, Role, RoleGrant
from schemas.workflow import NotifySpec

__all__ = ["Message", "compose", "local", "message", "post", "users_of"]


def local(when: datetime | None) -> Moment | None:
    """A time as people read it (Beijing, 12月1日 19:48), for a message's text in its reader's language."""
    return moment(when)

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


@dataclass(frozen=True)
class Message:
    """A notify's message: (title, text) in Chinese for the inbox, the same in any language
    for the other channels, and the category people choose channels for."""

    title: str
    body: str
    render: Render
    category: str
    short: Short | None = None


def compose(session: Session, demand: Demand, workflow: CompiledWorkflow, spec: NotifySpec,
            form: dict[str, Any] | None = None, org_id: int | None = None) -> Message:
    """The message of a notify: its template as the demand's district words it, filled with
    the demand's fields and the `step_fields` it names from the step's `form` (what was typed);
    or its plain sentence with the demand's title as the text. `org_id`: the organisation the
    step let go of (a give-up), named as `{org}` although the demand no longer names it."""
    if spec.template is None:
        title = (spec.message or "")[:200]
        return Message(title, demand.title, lambda _lang: (title, demand.title), "service")
    community = session.get(Region, demand.community_id)
    template = overrides.effective(session, district_id(community.path) if community else None, spec.template)
    if template is None:  # the compiler refuses this; a file edited since must not lose the notice
        return Message(spec.template, demand.title, lambda _lang: (spec.template or "", demand.title), "service")
    values = {"id": demand.id, "title": demand.title, "description": demand.description, "place": demand.place,
              "starts_at": local(demand.starts_at), "ends_at": local(demand.ends_at), "capacity": demand.capacity,
              "community": community.name if community else "",
              "org": _org_name(session, org_id or demand.org_id),
              "state": workflow.source.state_title(demand.state),  # written once, for every reader
              **{name: (form or {}).get(name) for name in template.step_fields}}
    filled = notice_templates.Filled(template, values)
    title, body = filled.render(SOURCE)
    return Message(title, body, filled.render, template.category, filled.short)


def _org_name(session: Session, org_id: int | None) -> str:
    org = session.get(Organisation, org_id) if org_id is not None else None
    return org.name if org is not None else ""


def message(session: Session, demand: Demand, workflow: CompiledWorkflow, spec: NotifySpec) -> tuple[str, str]:
    """(title, text) of a notify in the source language."""
    composed = compose(session, demand, workflow, spec)
    return composed.title, composed.body
