"""What the resource pages show: a resource with its community, the requests for resources,
and the service matrix around a community (what each owner shares and has done)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from schemas.tables import (
    Account,
    Demand,
    Entry,
    Evaluation,
    Organisation,
    Posting,
    Region,
    Resource,
    ResourceBooking,
    ResourceBookingStatus,
)


def requests_for(session: Session, resource_ids: list[int], limit: int = 50):
    """The newest requests for these resources: (booking, demand, resource name)."""
    if not resource_ids:
        return []
    return list(session.execute(select(ResourceBooking, Demand, Resource.name)
                                .join(Demand, Demand.id == ResourceBooking.demand_id)
                                .join(Resource, Resource.id == ResourceBooking.resource_id)
                                .where(ResourceBooking.resource_id.in_(resource_ids))
                                .order_by(ResourceBooking.id.desc()).limit(limit)).all())


def upcoming(session: Session, resource_id: int, now: datetime, days: int = 14) -> list[ResourceBooking]:
    """The held ranges of the next `days` days, so a person picks a free time."""
    return list(session.scalars(select(ResourceBooking).where(
        ResourceBooking.resource_id == resource_id, ResourceBooking.status == ResourceBookingStatus.HELD,
        ResourceBooking.ends_at > now, ResourceBooking.starts_at < now + timedelta(days=days))
        .order_by(ResourceBooking.starts_at)))


@dataclass
class MatrixRow:
    """One owner around a community: what it shares and what it has done (`org` None: the
    community shares it itself, named `name`)."""

    name: str
    org: Organisation | None
    resources: list[Resource]
    served: int
    rating: float | None
    points: int


def matrix(session: Session, community_id: int) -> list[MatrixRow]:
    """The service matrix (服务矩阵) of a community: the organisations sharing resources there,
    with requests served (used and rated), their average rating and the points they earned."""
    shared = list(session.scalars(select(Resource).where(Resource.community_id == community_id,
                                                         Resource.is_active.is_(True)).order_by(Resource.id)))
    by_org: dict[int | None, list[Resource]] = {}
    for resource in shared:
        by_org.setdefault(resource.org_id, []).append(resource)
    community = session.get(Region, community_id)
    rows = []
    for org_id, owned in by_org.items():
        org = session.get(Organisation, org_id) if org_id is not None else None
        if org_id is not None and org is None:
            continue
        demands = select(ResourceBooking.demand_id).where(ResourceBooking.resource_id.in_([r.id for r in owned]))
        served, rating = session.execute(select(func.count(Evaluation.id), func.avg(Evaluation.rating))
                                         .where(Evaluation.demand_id.in_(demands))).one()
        points = session.scalar(select(func.coalesce(func.sum(Entry.amount), 0))
                                .join(Posting, Posting.id == Entry.posting_id)
                                .join(Account, Account.id == Entry.account_id)
                                .where(Posting.demand_id.in_(demands), Account.code == f"org:{org_id}"))
        rows.append(MatrixRow(org.name if org else (community.name if community else ""), org, owned,
                              int(served or 0), float(rating) if rating is not None else None, int(points or 0)))
    return sorted(rows, key=lambda r: (-r.served, r.name))


def community_of(session: Session, resource: Resource) -> Region | None:
    """The resource's community."""
    return session.get(Region, resource.community_id)


def booking_of(session: Session, demand_id: int) -> tuple[ResourceBooking, Resource] | None:
    """The resource a request books (its demand's page says which, and links to it)."""
    row = session.execute(select(ResourceBooking, Resource).join(Resource, Resource.id == ResourceBooking.resource_id)
                          .where(ResourceBooking.demand_id == demand_id)).first()
    return (row[0], row[1]) if row is not None else None


def booked_for(session: Session, demand_id: int) -> list[tuple[ResourceBooking, Resource]]:
    """The resources requested for an activity (a room for this activity), held or not."""
    return [(b, r) for b, r in session.execute(
        select(ResourceBooking, Resource).join(Resource, Resource.id == ResourceBooking.resource_id)
        .where(ResourceBooking.for_demand_id == demand_id).order_by(ResourceBooking.id)).all()]
