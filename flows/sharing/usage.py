"""Resource use per district and period, for the dashboard: requests made, requests the owner
approved (still held and past the owner's answer), and hours of use (the booked hours of
requests done). Which states mean "waiting for the owner" and "done" is the workflow's answer,
given by the caller (flows.engine.menu.resource_states), never written here."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.people.regions import district_id
from schemas.tables import Demand, Region, Resource, ResourceBooking, ResourceBookingStatus


@dataclass
class Use:
    """One district's resource use in a period."""

    district: Region
    requests: int = 0
    approved: int = 0
    hours: float = 0.0


def usage(session: Session, community_ids: Collection[int], *, waiting: Collection[str], done: Collection[str],
          since: datetime | None = None, until: datetime | None = None) -> list[Use]:
    """Per district (of the resources' communities), requests made in [since, until)."""
    query = (select(Region.path, ResourceBooking.status, ResourceBooking.starts_at, ResourceBooking.ends_at,
                    Demand.state)
             .join(Resource, Resource.id == ResourceBooking.resource_id)
             .join(Region, Region.id == Resource.community_id)
             .join(Demand, Demand.id == ResourceBooking.demand_id)
             .where(Resource.community_id.in_(list(community_ids))))
    if since is not None:
        query = query.where(ResourceBooking.created_at >= since)
    if until is not None:
        query = query.where(ResourceBooking.created_at < until)
    found: dict[int, Use] = {}
    for path, status, starts_at, ends_at, state in session.execute(query):
        district = district_id(path)
        if district is None:
            continue
        if district not in found:
            found[district] = Use(session.get_one(Region, district))
        use = found[district]
        use.requests += 1
        if status is ResourceBookingStatus.HELD and state not in waiting:
            use.approved += 1
        if state in done:
            use.hours += (ends_at - starts_at).total_seconds() / 3600
    return sorted(found.values(), key=lambda u: u.district.path)
