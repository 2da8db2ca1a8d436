"""Booked time ranges of a resource: exactly one winner for one range, on both engines.

The booking transaction's first write is a no-op UPDATE of the resource row. On PostgreSQL it
locks the row until commit, so a second request for the same resource waits and then reads
what the first committed; on SQLite the first write takes the database's write lock, which
serialises writers. The overlap check that follows is therefore decided alone, and the range
is written in the same transaction (no exclusion constraint needed, identical on both)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from flows.core.moments import said_now
from flows.core.refusals import Refused
from flows.core.sql import changed
from flows.people.actors import ActorContext
from flows.sharing.calendar import check_open
from schemas.clock import is_past
from schemas.tables import Demand, Resource, ResourceBooking, ResourceBookingStatus

MAX_HOURS = 72  # one request: a weekend event at most, not a season


def check_range(starts_at: datetime | None, ends_at: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """The range, if it is one a person may ask for: in the future, ending after it starts."""
    if starts_at is None or ends_at is None or ends_at <= starts_at:
        raise Refused("resource.times")
    if is_past(starts_at, now):  # the same grace as any demand's time (flows.engine.times)
        raise Refused("resource.past")
    if ends_at - starts_at > timedelta(hours=MAX_HOURS):
        raise Refused("resource.too_long", {"hours": MAX_HOURS})
    return starts_at, ends_at


def lock(session: Session, resource_id: int) -> Resource:
    """Hold the resource row (see the module's docstring); Refused when it is missing or off."""
    if changed(session, _LOCK, {"resource_id": resource_id}) != 1:
        raise Refused("resource.not_found")
    resource = session.get(Resource, resource_id)
    assert resource is not None
    return resource


_LOCK = (update(Resource).where(Resource.id == bindparam("resource_id"), Resource.is_active.is_(True))
         .values(is_active=Resource.is_active).execution_options(synchronize_session=False))


def overlapping(session: Session, resource_id: int, starts_at: datetime, ends_at: datetime) -> ResourceBooking | None:
    """A held booking of the resource that shares some time with the range (touching ends do not)."""
    return session.scalar(select(ResourceBooking).where(
        ResourceBooking.resource_id == resource_id, ResourceBooking.status == ResourceBookingStatus.HELD,
        ResourceBooking.starts_at < ends_at, ResourceBooking.ends_at > starts_at).limit(1))


def hold(session: Session, resource_id: int, starts_at: datetime, ends_at: datetime) -> Resource:
    """Lock the resource, then refuse a closed time or a range that overlaps a held one. Call
    it as the transaction's first write, then `add` once the demand has its id."""
    resource = lock(session, resource_id)
    check_open(session, resource_id, starts_at, ends_at)
    clash = overlapping(session, resource_id, starts_at, ends_at)
    if clash is not None:
        raise Refused("resource.taken", {"start": said_now(clash.starts_at), "end": said_now(clash.ends_at)})
    return resource


def organises(actor: ActorContext, activity: Demand, community_path: str) -> bool:
    """Whether `actor` may say a request is for `activity`: who published it, an admin of the
    organisation that took it on, or an admin of its community. A request names only an activity
    its requester organises (the activity's page then lists the booking)."""
    return (activity.requester_id == actor.user_id or (activity.org_id is not None and activity.org_id in actor.org_admin_of)
            or actor.in_scope("community_admin", community_path))


def add(session: Session, actor: ActorContext, resource: Resource, demand: Demand, starts_at: datetime,
        ends_at: datetime, for_demand_id: int | None) -> ResourceBooking:
    """The booking row of a request, after `hold` in the same transaction."""
    if for_demand_id is not None:
        other = session.get(Demand, for_demand_id) if 0 < for_demand_id < 2**31 else None
        if other is None or other.community_id != resource.community_id or other.id == demand.id \
                or not organises(actor, other, other.community.path):
            raise Refused("resource.for_demand")
    booking = ResourceBooking(resource_id=resource.id, demand_id=demand.id, for_demand_id=for_demand_id,
                              starts_at=starts_at, ends_at=ends_at)
    session.add(booking)
    return booking


def release(session: Session, demand_id: int) -> int | None:
    """Free the range a request holds (declined, cancelled); the booking's id, or None if none
    was held (safe to run twice)."""
    booking = session.scalar(select(ResourceBooking).where(ResourceBooking.demand_id == demand_id,
                                                           ResourceBooking.status == ResourceBookingStatus.HELD))
    if booking is None:
        return None
    booking.status = ResourceBookingStatus.RELEASED
    return booking.id


def booked_ranges(session: Session, resource_id: int, first: datetime, last: datetime) -> list[ResourceBooking]:
    """Held bookings of the resource that touch [first, last), in order (the calendar page)."""
    return list(session.scalars(select(ResourceBooking).where(
        ResourceBooking.resource_id == resource_id, ResourceBooking.status == ResourceBookingStatus.HELD,
        ResourceBooking.starts_at < last, ResourceBooking.ends_at > first).order_by(ResourceBooking.starts_at)))



def live(session: Session, resource_id: int, now: datetime) -> int:
    """The resource's requests and bookings not yet over (held): what keeps its community and
    owner, since they were made to that owner there."""
    return session.scalar(select(func.count()).select_from(ResourceBooking).where(
        ResourceBooking.resource_id == resource_id, ResourceBooking.status == ResourceBookingStatus.HELD,
        ResourceBooking.ends_at > now)) or 0
