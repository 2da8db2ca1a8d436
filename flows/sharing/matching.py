"""Matching needs to resources: suggestions by kind, availability at the time, distance and
past ratings, each saying why it matched (a list of reasons, rendered in the reader's language)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flows.core.geo import km
from flows.core.i18n import N_, Message
from flows.people.actors import ActorContext
from flows.people.regions import region_ids_of
from flows.sharing.bookings import overlapping
from flows.sharing.calendar import is_open
from schemas.clock import is_past, utcnow
from schemas.tables import Evaluation, Region, Resource, ResourceBooking, ResourceKind

NEAR_KM = 3.0  # within a walk or a short ride: the distance is worth saying


@dataclass
class Suggestion:
    """A resource offered for a need, its score (higher first) and the reasons."""

    resource: Resource
    community: str
    score: float
    distance_km: float | None
    rating: float | None
    free: bool | None
    reasons: list[Message] = field(default_factory=list)


def ratings(session: Session, resource_ids: list[int]) -> dict[int, tuple[float, int]]:
    """(average rating, how many) of past requests of each resource."""
    if not resource_ids:
        return {}
    rows = session.execute(select(ResourceBooking.resource_id, func.avg(Evaluation.rating), func.count(Evaluation.id))
                           .join(Evaluation, Evaluation.demand_id == ResourceBooking.demand_id)
                           .where(ResourceBooking.resource_id.in_(resource_ids))
                           .group_by(ResourceBooking.resource_id)).all()
    return {rid: (float(avg), int(n)) for rid, avg, n in rows}


def suggest(session: Session, *, kind: ResourceKind | None = None, q: str | None = None,
            starts_at: datetime | None = None, ends_at: datetime | None = None,
            near: tuple[float, float] | None = None, capacity: int | None = None,
            district_path: str | None = None, limit: int = 20, now: datetime | None = None) -> list[Suggestion]:
    """Active resources matching the need, best first: the right kind, free at the time (closed
    or booked ones, or every one for a time already past, go last), near, well rated, large enough."""
    now = now or utcnow()
    query = select(Resource, Region.name).join(Region, Region.id == Resource.community_id).where(
        Resource.is_active.is_(True))
    if kind is not None:
        query = query.where(Resource.kind == kind)
    if q:
        like = f"%{q.strip()[:30]}%"
        query = query.where(Resource.name.like(like) | Resource.description.like(like) | Resource.equipment.like(like))
    if district_path:
        query = query.where(Region.path.like(f"{district_path}%"))
    if capacity:
        query = query.where((Resource.capacity.is_(None)) | (Resource.capacity >= capacity))
    rows = session.execute(query.order_by(Resource.id).limit(400)).all()
    rated = ratings(session, [r.id for r, _ in rows])
    past = starts_at is not None and is_past(starts_at, now)  # nothing can be booked for it
    found = [_score(session, resource, community, kind, q, starts_at, ends_at, near, capacity, rated.get(resource.id),
                    past) for resource, community in rows]
    found.sort(key=lambda s: (-s.score, s.distance_km if s.distance_km is not None else 1e9, s.resource.id))
    return found[:limit]


def home_of(session: Session, actor: ActorContext) -> tuple[float, float] | None:
    """Where the actor is (their first community with a position), to measure distances from."""
    for region_id in sorted(region_ids_of(session, actor)):
        home = session.get(Region, region_id)
        if home is not None and home.lat is not None and home.lng is not None:
            return home.lat, home.lng
    return None


def search(session: Session, actor: ActorContext, *, kind: ResourceKind | None = None, q: str | None = None,
           starts_at: datetime | None = None, ends_at: datetime | None = None,
           capacity: int | None = None) -> list[Suggestion]:
    """资源共享's search: resources that fit the need, best first, measured from the actor's home."""
    return suggest(session, kind=kind, q=(q or "").strip()[:30] or None, starts_at=starts_at, ends_at=ends_at,
                   near=home_of(session, actor), capacity=capacity)


def for_activity(session: Session, actor: ActorContext, starts_at: datetime, ends_at: datetime, *,
                 community_id: int | None = None, capacity: int | None = None) -> list[Suggestion]:
    """While an activity is being published: the three best resources free for its time (and
    size), in its community's district and near it (near the actor without a community)."""
    community = session.get(Region, community_id) if community_id else None
    near = (community.lat, community.lng) if community is not None and community.lat is not None \
        and community.lng is not None else home_of(session, actor)
    district = "/".join(community.path.split("/")[:3]) + "/" if community is not None else None
    return [x for x in suggest(session, starts_at=starts_at, ends_at=ends_at, near=near,
                               capacity=capacity if capacity and capacity > 1 else None,
                               district_path=district, limit=3) if x.free]


def _score(session: Session, resource: Resource, community: str, kind: ResourceKind | None, q: str | None,
           starts_at: datetime | None, ends_at: datetime | None, near: tuple[float, float] | None,
           capacity: int | None, rated: tuple[float, int] | None, past: bool = False) -> Suggestion:
    reasons: list[Message] = []
    score = 0.0
    if kind is not None:
        reasons.append(Message("match.kind"))
        score += 1
    if q:
        reasons.append(Message("match.words", {"q": q.strip()[:30]}))
    free = None
    if past:
        free = False
        reasons.append(Message("match.past"))
        score -= 10
    elif starts_at is not None and ends_at is not None and ends_at > starts_at:
        free = is_open(session, resource.id, starts_at, ends_at) and overlapping(
            session, resource.id, starts_at, ends_at) is None
        if free:
            reasons.append(Message("match.free"))
            score += 10
        else:
            reasons.append(Message("match.busy"))
            score -= 10
    distance = km(near, resource.lat, resource.lng)
    if distance is not None:
        score += max(0.0, 5 - distance)  # nearer is better, up to 5 points within 5 km
        if distance <= NEAR_KM:
            reasons.append(Message("match.near", {"km": f"{distance:.1f}"}))
    rating = None
    if rated is not None:
        rating = rated[0]
        score += rating - 3
        if rating >= 4:
            reasons.append(Message("match.rated", {"rating": f"{rating:.1f}", "n": rated[1]}))
    if capacity and resource.capacity:
        reasons.append(Message("match.capacity", {"capacity": resource.capacity}))
    return Suggestion(resource, community, score, distance, rating, free, reasons)


KIND_TITLES = {ResourceKind.ROOM: N_("场地"), ResourceKind.EQUIPMENT: N_("设备"), ResourceKind.VEHICLE: N_("车辆"),
               ResourceKind.SERVICE: N_("专业服务")}
