"""Reporting in (报到) and its approval, appointment slots and bookings, and the directory of
nearby enterprises and merchants, over the API: the same domain calls as the portal's pages
(flows.people.accounts, the engine's start with a slot, flows.catalogue)."""

from spectree import Response
from sqlalchemy import select

from admin.api import ID, bp, spec
from admin.api.bearer import caller, signed_in, staff_only
from admin.api.demands import outcome_response
from admin.api.models import (
    BookRequest,
    Communities,
    Community,
    Decision,
    Directory,
    DirectoryItem,
    DirectoryQuery,
    OutcomeOut,
    Pending,
    PendingList,
    RegistrationOut,
    ReportIn,
    Slot,
    Slots,
)
from admin.api.paging import json_response
from admin.api.problems import ApiProblem, Problem
from admin.api.replays import idempotent, key
from admin.database import db
from flows import engine
from flows.catalogue import directory as directory_reads
from flows.catalogue import services
from flows.people import accounts, regions
from schemas.clock import utcnow
from schemas.tables import (
    AppointmentService,
    AppointmentSlot,
    MemberRegistration,
    OrgRegistration,
    Region,
    RegionLevel,
)

TAG = "registration and services"
STAFF_TAG = "staff tools"  # the report-ins waiting for an admin: admin/api/staff.py's tag
BEARER: dict[str, list[str]] = {"bearer": []}


@bp.get("/communities")
@spec.validate(resp=Response(HTTP_200=Communities, HTTP_304=None), tags=[TAG])
def communities():
    """Every community, for choosing where to report in (public, as on the sign-up page)."""
    rows = db().scalars(select(Region).where(Region.level == RegionLevel.COMMUNITY).order_by(Region.path))
    return json_response(Communities(items=[Community(id=r.id, name=r.name, path=r.path) for r in rows]))


@bp.post("/me/registrations")
@spec.validate(json=ReportIn, resp=Response(HTTP_201=RegistrationOut, HTTP_400=Problem, HTTP_401=Problem,
                                            HTTP_403=Problem, HTTP_409=Problem, HTTP_422=Problem),
               tags=[TAG], security=BEARER)
@signed_in
@idempotent
def report_in(json: ReportIn):
    """A member reports in where they live; with `org_id`, an organisation's admin registers
    the organisation with its paired community. Both wait for the community admin."""
    row: MemberRegistration | OrgRegistration
    if json.org_id is not None:
        row, kind = accounts.register_org(db(), caller(), json.org_id, json.community_id), "org"
    else:
        row, kind = accounts.report_in(db(), caller(), json.community_id), "member"
    return json_response(RegistrationOut(kind=kind, id=row.id, community_id=row.community_id,
                                         status=row.status.value), 201)


@bp.get("/approvals")
@spec.validate(resp=Response(HTTP_200=PendingList, HTTP_304=None, HTTP_401=Problem, HTTP_403=Problem),
               tags=[STAFF_TAG], security=BEARER)
@staff_only
def approvals():
    """Report-ins waiting for me (a community admin), in my communities."""
    return json_response(PendingList(items=[
        Pending(kind=kind, id=reg.id, who=who, community=community, created_at=reg.created_at)
        for kind, reg, who, community in accounts.pending(db(), caller())]))


@bp.post(f"/approvals/<any(member, org):kind>/<{ID}:registration_id>")
@spec.validate(json=Decision, resp=Response(HTTP_204=None, HTTP_401=Problem, HTTP_403=Problem, HTTP_404=Problem,
                                            HTTP_409=Problem, HTTP_422=Problem), tags=[STAFF_TAG], security=BEARER)
@staff_only
@idempotent
def decide(kind: str, registration_id: int, json: Decision):
    """Approve or reject a report-in of my community (once: a second decision is a 409). A
    rejection says why (`reason`, which the applicant reads)."""
    accounts.decide(db(), caller(), kind, registration_id, json.approve, reason=json.reason)
    return "", 204


@bp.get("/slots")
@spec.validate(resp=Response(HTTP_200=Slots, HTTP_304=None, HTTP_401=Problem), tags=[TAG], security=BEARER)
@signed_in
def slots():
    """Appointment slots with places left in my communities, and those I hold."""
    me = caller()
    held = services.held_slots(db(), me.user_id)
    rows = services.bookable_slots(db(), regions.region_ids_of(db(), me), utcnow(), held=held)
    return json_response(Slots(items=[
        Slot(id=s.id, service=service, community=community, starts_at=s.starts_at, ends_at=s.ends_at,
             places_left=s.capacity - s.booked, held_demand_id=held.get(s.id)) for s, service, community in rows]))


@bp.post(f"/slots/<{ID}:slot_id>/book")
@spec.validate(json=BookRequest, resp=Response(HTTP_201=OutcomeOut, HTTP_200=OutcomeOut, HTTP_401=Problem, HTTP_404=Problem,
                                               HTTP_409=Problem, HTTP_422=Problem), tags=[TAG], security=BEARER)
@signed_in
@idempotent
def book(slot_id: int, json: BookRequest):
    """Book a slot: starts a demand of the appointment workflow (through the engine)."""
    slot = db().get(AppointmentSlot, slot_id)
    service = db().get(AppointmentService, slot.service_id) if slot else None
    if slot is None or service is None or service.community_id not in regions.region_ids_of(db(), caller()):
        raise ApiProblem(404, "slot")
    outcome = engine.start(db(), caller(), service.task_type_id,
                           {"title": services.booking_title(service, slot), "note": json.note},
                           slot_id=slot_id, request_key=key())
    return outcome_response(outcome, 200 if outcome.replayed else 201)


@bp.get("/directory")
@spec.validate(query=DirectoryQuery, resp=Response(HTTP_200=Directory, HTTP_304=None, HTTP_401=Problem,
                                                   HTTP_422=Problem), tags=[TAG], security=BEARER)
@signed_in
def directory(query: DirectoryQuery):
    """Enterprises and merchants near my community, nearest first; `q` searches names and services."""
    ids = regions.region_ids_of(db(), caller())
    home = db().scalar(select(Region).where(Region.id.in_(ids)).limit(1)) if ids else None
    near = (home.lat, home.lng) if home is not None and home.lat is not None and home.lng is not None else None
    rows = directory_reads.directory(db(), near, (query.q or "").strip() or None)
    return json_response(Directory(items=[
        DirectoryItem(id=e.id, kind=e.kind.value, name=e.name, address=e.address, phone=e.phone, hours=e.hours,
                      distance_km=km, services=[name for name, _ in items]) for e, items, km in rows]))
