"""Keeping resources: who may (the owning organisation's admins, and the admins of the
community it is in or above it), what a resource says, its weekly hours and closed days.
Every change is audited and checked against the actor on every call."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, false, or_, select
from sqlalchemy.orm import Session

from flows.core import audit
from flows.core.db import in_transaction
from flows.core.i18n import Message
from flows.core.refusals import Refused
from flows.core.text import visible
from flows.people.actors import ActorContext
from flows.people.regions import admin_communities
from flows.sharing.calendar import parse_hours
from schemas.tables import Region, RegionLevel, Resource, ResourceClosure, ResourceHours, ResourceKind

EDITABLE = ("kind", "name", "description", "location", "capacity", "equipment", "rules", "photo", "lat", "lng",
            "is_active")


def may_manage(session: Session, actor: ActorContext, resource: Resource) -> bool:
    """The owner (an admin of its organisation) or an admin of its community or above (who
    own it when no organisation does)."""
    if resource.org_id is not None and resource.org_id in actor.org_admin_of:
        return True
    community = session.get(Region, resource.community_id)
    return community is not None and actor.in_scope("community_admin", community.path)


def managed(session: Session, actor: ActorContext, resource_id: int) -> Resource:
    """The resource, if the actor may keep it; else Refused (the same answer whether it exists)."""
    resource = session.get(Resource, resource_id)
    if resource is None or not may_manage(session, actor, resource):
        raise Refused("resource.not_owner")
    return resource


def owned(session: Session, actor: ActorContext) -> list[Resource]:
    """The resources the actor answers for (我的资源), newest first: those of the organisations
    they administer, and, for a community admin, those their communities share themselves."""
    communities = [c.id for c in admin_communities(session, actor)]
    mine: list[ColumnElement[bool]] = []
    if actor.org_admin_of:
        mine.append(Resource.org_id.in_(actor.org_admin_of))
    if communities:
        mine.append(and_(Resource.org_id.is_(None), Resource.community_id.in_(communities)))
    if not mine:
        return []
    return list(session.scalars(select(Resource).where(or_(*mine)).order_by(Resource.id.desc())))


@dataclass(frozen=True)
class Place:
    """Where the actor may list a new resource: for an organisation they administer, in a
    community it reported to; or (`org_id` None) a community they administer, its own."""

    org_id: int | None
    community_id: int
    name: str


def places(session: Session, actor: ActorContext) -> list[Place]:
    """Every place the actor may list a resource in (我的资源's 新增 form), organisations first."""
    found = [Place(org_id, region.id, region.name) for org_id in sorted(actor.org_admin_of)
             for community_id in sorted(actor.org_communities.get(org_id, ()))
             if (region := session.get(Region, community_id)) is not None]
    return found + [Place(None, c.id, c.name) for c in admin_communities(session, actor)]


def in_regions(session: Session, paths: list[str]):
    """A query of the resources in the communities under these region paths (the console's scope)."""
    communities = select(Region.id).where(or_(*[Region.path.like(f"{p}%") for p in paths])) if paths else None
    query = select(Resource)
    return query.where(Resource.community_id.in_(communities)) if communities is not None else query.where(false())


def _typed(values: dict[str, Any]) -> dict[str, Any]:
    """The values with each text as people will see it (flows.core.text)."""
    return {k: visible(v) if isinstance(v, str) and k != "photo" else v for k, v in values.items()}


def _check(session: Session, actor: ActorContext, values: dict[str, Any]) -> None:
    fields: dict[str, Message] = {}
    name = visible(values.get("name"))
    if not name or len(name) > 64:
        fields["name"] = Message("resource.name")
    capacity = values.get("capacity")
    if capacity is not None and not 1 <= int(capacity) <= 10000:
        fields["capacity"] = Message("resource.capacity")
    community = session.get(Region, values.get("community_id") or 0)
    if community is None or community.level is not RegionLevel.COMMUNITY:
        fields["community_id"] = Message("resource.community")
    if fields:
        raise Refused("input", fields=fields)


def create(session: Session, actor: ActorContext, org_id: int | None, community_id: int,
           values: dict[str, Any]) -> Resource:
    """A new resource of an organisation the actor administers (or, for an admin, in their
    communities; with no organisation, the community's own)."""
    values = _typed(values)
    resource = Resource(org_id=org_id, community_id=community_id, kind=ResourceKind(values.get("kind", "room")),
                        name=visible(values.get("name")))
    for key in EDITABLE:
        if key in values and key != "kind":
            setattr(resource, key, values[key])
    _check(session, actor, {**values, "community_id": community_id})
    if not may_manage(session, actor, resource):
        raise Refused("resource.not_owner")

    def work() -> Resource:
        session.add(resource)
        session.flush()
        audit.record(session, actor.user_id, "create", "resources", str(resource.id), None, audit.snapshot(resource))
        return resource

    return in_transaction(session, work)


def update(session: Session, actor: ActorContext, resource_id: int, values: dict[str, Any]) -> Resource:
    """Change what a resource says; only the fields people may edit, only by who may keep it."""
    resource = managed(session, actor, resource_id)
    values = _typed(values)
    _check(session, actor, {"name": resource.name, **values, "community_id": resource.community_id})
    before = audit.snapshot(resource)

    def work() -> Resource:
        for key in EDITABLE:
            if key in values:
                setattr(resource, key, ResourceKind(values[key]) if key == "kind" else values[key])
        session.flush()
        after = audit.snapshot(resource)
        changed = {k: v for k, v in after.items() if before.get(k) != v}
        if changed:
            audit.record(session, actor.user_id, "update", "resources", str(resource.id),
                         {k: before.get(k) for k in changed}, changed)
        return resource

    return in_transaction(session, work)


def edit(session: Session, actor: ActorContext, resource_id: int, values: dict[str, Any], hours: str) -> Resource:
    """我的资源's 保存: what the resource says and its weekly hours; hours that do not read are
    refused before anything is saved, together with any other field's problem (one answer
    names every field to correct, not one a try)."""
    try:
        parse_hours(hours)
    except Refused as exc:
        try:
            stored = managed(session, actor, resource_id)
            _check(session, actor, {"name": stored.name, **_typed(values), "community_id": stored.community_id})
        except Refused as other:
            if other.code == "input":
                raise Refused("input", fields={**other.field_messages, **exc.field_messages}) from exc
            raise
        raise
    resource = update(session, actor, resource_id, values)
    set_hours(session, actor, resource_id, hours)
    return resource


def set_hours(session: Session, actor: ActorContext, resource_id: int, text: str) -> int:
    """Replace the weekly hours with those the text names ('周一至周五 09:00-17:00' per line;
    empty: open by arrangement). Returns how many openings there are now."""
    resource = managed(session, actor, resource_id)
    rows = parse_hours(text)

    def work() -> int:
        session.execute(delete(ResourceHours).where(ResourceHours.resource_id == resource.id))
        session.add_all([ResourceHours(resource_id=resource.id, weekday=w, opens=o, closes=c) for w, o, c in rows])
        audit.record(session, actor.user_id, "update", "resource_hours", str(resource.id), None,
                     {"hours": visible(text)[:500]})
        return len(rows)

    return in_transaction(session, work)


def add_closure(session: Session, actor: ActorContext, resource_id: int, day: date, note: str | None) -> None:
    """Close the resource all of a local day (a holiday, a repair)."""
    resource = managed(session, actor, resource_id)

    def work() -> None:
        session.add(ResourceClosure(resource_id=resource.id, day=day, note=(note or "")[:128] or None))
        audit.record(session, actor.user_id, "create", "resource_closures", str(resource.id), None,
                     {"day": day.isoformat(), "note": note})

    in_transaction(session, work)
