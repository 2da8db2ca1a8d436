"""Read models for the pages: what a person may see, and the lists they browse.

Visibility is decided here per object, so a URL typed by hand gets the same answer as a
link: a demand awaiting an admin's first action is private to its requester and the admins;
otherwise it is visible to the people of its community, the organisations reported in to it,
and whoever holds a claim on it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, func, or_, select
from sqlalchemy.orm import Session, contains_eager

from schemas.tables import (
    Account,
    AppointmentService,
    AppointmentSlot,
    Claim,
    ClaimStatus,
    Demand,
    DirectoryEntry,
    DirectoryService,
    Entry,
    Event,
    NewsPost,
    Order,
    Posting,
    Region,
    RegionLevel,
    Role,
    ServiceRecord,
    ShopItem,
    TaskType,
    User,
    WorkflowVersion,
)
from schemas.workflow import HumanStep, StartStep

from . import registry
from .actors import ActorContext
from .compiled import CompiledWorkflow
from .permissions import active_claims, check_actor, is_claimant


def communities_of(actor: ActorContext) -> set[int]:
    """Communities where the actor lives, serves or whose organisation reported in."""
    ids = set(actor.registered_communities)
    for orgs in actor.org_communities.values():
        ids |= set(orgs)
    return ids


def region_ids_of(session: Session, actor: ActorContext) -> set[int]:
    """Community ids the actor is attached to by a grant (resident) or registration."""
    ids = communities_of(actor)
    paths = [g.region_path for g in actor.grants if g.role is Role.RESIDENT and g.region_path]
    for path in paths:
        ids |= set(session.scalars(select(Region.id).where(Region.path == path)))
    return ids


def admin_communities(session: Session, actor: ActorContext) -> list[Region]:
    """Communities the actor administers (directly or as a district or city admin)."""
    paths = [g.region_path for g in actor.grants if g.role.value.endswith("_admin") and g.role is not Role.ORG_ADMIN
             and g.region_path]
    if not paths:
        return []
    return list(session.scalars(select(Region).where(Region.level == RegionLevel.COMMUNITY,
                                                     or_(*[Region.path.startswith(p) for p in paths]))
                                .order_by(Region.path)))


def is_private(workflow: CompiledWorkflow, state: str) -> bool:
    """A demand waits for an admin's first look (review, draft, a fresh booking)."""
    entered = {s.to for s in workflow.spec.steps.values() if isinstance(s, StartStep)}
    return state in entered and any(s.by.role == "community_admin" for s in workflow.human_steps_from(state).values())


def can_see(session: Session, actor: ActorContext, demand: Demand) -> bool:
    """Whether `actor` may see `demand` at all (cheapest answers first: this is on every page)."""
    if demand.requester_id == actor.user_id:
        return True
    workflow = registry.load(session, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
    private = is_private(workflow, demand.state)
    if not private and (demand.community_id in actor.registered_communities
                        or (demand.org_id is not None and actor.member_org_id == demand.org_id)):
        return True
    community = session.get(Region, demand.community_id)
    if actor.in_scope("community_admin", community.path):
        return True
    claims = active_claims(session, demand.id)
    if is_claimant(actor, claims) or (demand.org_id and demand.org_id in actor.org_admin_of):
        return True
    if private:
        return False
    if demand.org_id is not None and actor.member_org_id == demand.org_id:
        return True
    return demand.community_id in region_ids_of(session, actor)


def visible_demand(session: Session, actor: ActorContext, demand_id: int) -> Demand | None:
    """The demand if the actor may see it; None otherwise (the page then says 'not found')."""
    # The community comes in the same statement: every check after this one needs its path.
    demand = session.scalar(_DEMAND_WITH_COMMUNITY, {"demand_id": demand_id})
    return demand if demand is not None and can_see(session, actor, demand) else None


_DEMAND_WITH_COMMUNITY = (select(Demand).join(Demand.community).options(contains_eager(Demand.community))
                          .where(Demand.id == bindparam("demand_id")))


def available_steps(session: Session, actor: ActorContext, demand: Demand) -> list[tuple[str, HumanStep]]:
    """Human steps the actor may start now (guards are checked again on submit)."""
    workflow = registry.load(session, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
    community = session.get(Region, demand.community_id)
    claims = active_claims(session, demand.id)
    steps = []
    for name, step in workflow.human_steps_from(demand.state).items():
        if check_actor(actor, step.by, community_id=demand.community_id, community_path=community.path,
                       demand=demand, claims=claims) is None:
            if step.claim and step.claim.holder == "member" and any(c.user_id == actor.user_id for c in claims):
                continue
            steps.append((name, step))
    return steps


@dataclass(frozen=True)
class HallRow:
    demand: Demand
    task_type: str
    community: str
    match: bool
    distance_km: float | None


def hall(session: Session, actor: ActorContext, *, community_id: int | None = None, task_type_id: int | None = None,
         skill: str | None = None, sort: str = "time", near: tuple[float, float] | None = None,
         limit: int = 50) -> list[HallRow]:
    """Demands open to the actor: published, not finished, in their communities."""
    communities = region_ids_of(session, actor)
    if community_id is not None:
        communities &= {community_id}
    if not communities:
        return []
    open_states = _open_states(session)
    query = (select(Demand, TaskType.name, Region.name).join(TaskType, TaskType.id == Demand.task_type_id)
             .join(Region, Region.id == Demand.community_id)
             .where(Demand.community_id.in_(communities),
                    # the plain IN lets the (community, state) index skip finished demands
                    Demand.state.in_(sorted({s for states in open_states.values() for s in states})),
                    or_(*[and_(Demand.workflow_id == w, Demand.state.in_(states)) for w, states in open_states.items()])))
    if task_type_id:
        query = query.where(Demand.task_type_id == task_type_id)
    distance = None
    if near is not None:
        lat, lng = near
        distance = (Demand.lat - lat) * (Demand.lat - lat) + (Demand.lng - lng) * (Demand.lng - lng) * 0.45
    if sort == "distance" and distance is not None:
        query = query.order_by(case((Demand.lat.is_(None), 1), else_=0), distance, Demand.id.desc())
    else:
        query = query.order_by(Demand.starts_at.is_(None), Demand.starts_at, Demand.id.desc())
    rows = []
    for demand, type_name, community in session.execute(query.limit(limit * 3 if skill else limit)):
        needs = set(demand.required_skills or [])
        if skill and skill not in needs:
            continue
        match = bool(needs) and needs <= actor.skills or (not needs and bool(actor.skills))
        km = _km(near, demand.lat, demand.lng)
        rows.append(HallRow(demand, type_name, community, match, km))
    return rows[:limit]


def _km(near, lat, lng) -> float | None:
    if near is None or lat is None or lng is None:
        return None
    from math import asin, cos, radians, sin, sqrt

    lat1, lng1, lat2, lng2 = map(radians, (near[0], near[1], lat, lng))
    a = sin((lat2 - lat1) / 2) ** 2 + cos(lat1) * cos(lat2) * sin((lng2 - lng1) / 2) ** 2
    return round(6371 * 2 * asin(sqrt(a)), 1)


def _open_states(session: Session) -> dict[str, list[str]]:
    """Per workflow, the states in which a member or organisation can join (from the published
    versions, a few rows: reading them off the demands scanned them all, 220 ms at a million)."""
    result: dict[str, list[str]] = {}
    for row in session.execute(select(WorkflowVersion.workflow_id, WorkflowVersion.version,
                                      WorkflowVersion.content_hash)):
        workflow = registry.load(session, *row)
        states = {src for s in workflow.spec.steps.values() if isinstance(s, HumanStep) and s.claim for src in s.sources}
        result.setdefault(workflow.id, [])
        result[workflow.id] = sorted(set(result[workflow.id]) | states)
    return result


def timeline(session: Session, demand_id: int) -> list[dict[str, Any]]:
    """The demand's events with who did them, oldest first."""
    rows = session.execute(select(Event, User.display_name).outerjoin(User, User.id == Event.actor_id)
                           .where(Event.demand_id == demand_id).order_by(Event.id))
    return [{"step": e.step, "from": e.from_state, "to": e.to_state, "at": e.at, "who": name or "系统",
             "data": e.data} for e, name in rows]


def my_demands(session: Session, user_id: int) -> list[Demand]:
    """What the user asked for or took part in, newest first."""
    claimed = select(Claim.demand_id).where(Claim.user_id == user_id, Claim.status != ClaimStatus.WITHDRAWN)
    return list(session.scalars(select(Demand).where(or_(Demand.requester_id == user_id, Demand.id.in_(claimed)))
                                .order_by(Demand.id.desc()).limit(200)))


def points_history(session: Session, user_id: int, limit: int = 100) -> list[dict[str, Any]]:
    """The user's ledger entries with the reason for each."""
    rows = session.execute(select(Entry.amount, Entry.created_at, Posting.memo, Posting.kind, Posting.demand_id,
                                  Posting.order_id)
                           .join(Account, Account.id == Entry.account_id).join(Posting, Posting.id == Entry.posting_id)
                           .where(Account.code == f"user:{user_id}").order_by(Entry.id.desc()).limit(limit))
    return [dict(r._mapping) for r in rows]


def shop_items(session: Session, community_ids: set[int]) -> list[tuple[ShopItem, str]]:
    return list(session.execute(select(ShopItem, Region.name).join(Region, Region.id == ShopItem.community_id)
                                .where(ShopItem.community_id.in_(community_ids), ShopItem.on_sale.is_(True))
                                .order_by(ShopItem.community_id, ShopItem.price)).all())


def my_orders(session: Session, user_id: int) -> list[tuple[Order, str]]:
    return list(session.execute(select(Order, ShopItem.name).join(ShopItem, ShopItem.id == Order.item_id)
                                .where(Order.user_id == user_id).order_by(Order.id.desc()).limit(100)).all())


def community_orders(session: Session, community_ids: list[int], limit: int = 200) -> list[tuple[Order, str, str]]:
    return list(session.execute(select(Order, ShopItem.name, User.display_name)
                                .join(ShopItem, ShopItem.id == Order.item_id).join(User, User.id == Order.user_id)
                                .where(Order.community_id.in_(community_ids)).order_by(Order.id.desc())
                                .limit(limit)).all())


def news(session: Session, limit: int = 30) -> list[NewsPost]:
    return list(session.scalars(select(NewsPost).where(NewsPost.published_at.is_not(None))
                                .order_by(NewsPost.published_at.desc()).limit(limit)))


def directory(session: Session, near: tuple[float, float] | None, q: str | None, limit: int = 40):
    """Enterprises and merchants with their service items, matching `q`, nearest first."""
    query = select(DirectoryEntry)
    if q:
        like = f"%{q.strip()[:30]}%"
        matching = select(DirectoryService.entry_id).where(DirectoryService.name.like(like))
        query = query.where(or_(DirectoryEntry.name.like(like), DirectoryEntry.id.in_(matching)))
    if near is not None:
        lat, lng = near
        query = query.order_by((DirectoryEntry.lat - lat) * (DirectoryEntry.lat - lat)
                               + (DirectoryEntry.lng - lng) * (DirectoryEntry.lng - lng) * 0.45)
    entries = list(session.scalars(query.limit(limit)))
    services: dict[int, list[str]] = {}
    for entry_id, name in session.execute(select(DirectoryService.entry_id, DirectoryService.name)
                                          .where(DirectoryService.entry_id.in_([e.id for e in entries]))):
        services.setdefault(entry_id, []).append(name)
    return [(e, services.get(e.id, []), _km(near, e.lat, e.lng)) for e in entries]


def bookable_slots(session: Session, community_ids: set[int], now: datetime):
    return list(session.execute(select(AppointmentSlot, AppointmentService.name, Region.name)
                                .join(AppointmentService, AppointmentService.id == AppointmentSlot.service_id)
                                .join(Region, Region.id == AppointmentService.community_id)
                                .where(AppointmentService.community_id.in_(community_ids),
                                       AppointmentService.is_active.is_(True), AppointmentSlot.starts_at > now,
                                       AppointmentSlot.booked < AppointmentSlot.capacity)
                                .order_by(AppointmentSlot.starts_at).limit(60)).all())


def org_back_office(session: Session, org_id: int) -> list[dict[str, Any]]:
    """The back-office record (后台档案): each grabbed activity, who signed up and served, hours and points."""
    demands = session.scalars(select(Demand).where(Demand.org_id == org_id).order_by(Demand.id.desc()).limit(100)).all()
    result = []
    for demand in demands:
        people = session.execute(
            select(User.display_name, ServiceRecord.signed_in_at, ServiceRecord.signed_out_at, ServiceRecord.hours,
                   Claim.user_id)
            .join(Claim, Claim.user_id == User.id)
            .outerjoin(ServiceRecord, ServiceRecord.claim_id == Claim.id)
            .where(Claim.demand_id == demand.id, Claim.user_id.is_not(None))).all()
        points = dict(session.execute(
            select(Account.user_id, func.sum(Entry.amount)).join(Entry, Entry.account_id == Account.id)
            .join(Posting, Posting.id == Entry.posting_id)
            .where(Posting.demand_id == demand.id, Account.user_id.is_not(None)).group_by(Account.user_id)).all())
        result.append({"demand": demand, "people": [
            {"name": p.display_name, "in": p.signed_in_at, "out": p.signed_out_at, "hours": p.hours,
             "points": int(points.get(p.user_id, 0))} for p in people]})
    return result
