"""Shared resources (资源共享) over the API: search and an activity's suggestions, each with why it
matched; a resource with its hours, closed days and held ranges; requesting a time (a demand of
the resource request workflow, started through the engine as the web's form does, answered by
its holder with the demand's steps); 我的资源 for holders (list, create, edit, close a day) with
the web's object checks (another's resource is not there: 404); and a community's 服务矩阵.
Every call is the same domain call as the portal's page (flows.sharing)."""

from datetime import datetime, timedelta

from spectree import Response

from admin.api import ID, bp, spec
from admin.api.bearer import caller, signed_in
from admin.api.demands import outcome_response
from admin.api.models import OutcomeOut, aware
from admin.api.paging import json_response
from admin.api.problems import ApiProblem, Problem, locale
from admin.api.replays import idempotent, key
from admin.api.sharing_models import (
    BusyRange,
    ClosedDay,
    ClosedDayIn,
    DetailQuery,
    Matrix,
    MatrixRow,
    MyResource,
    MyResources,
    NewResource,
    Opening,
    Place,
    Reason,
    ReceivedRequest,
    ResourceEdit,
    ResourceItem,
    ResourceList,
    ResourceOut,
    ResourceQuery,
    ResourceRequest,
    SuggestionQuery,
)
from admin.database import db
from admin.portal.common import storage
from flows.core.i18n import render, translate
from flows.core.refusals import Refused
from flows.engine import resource_requests as requests
from flows.sharing import calendar, matching, reads, resources
from flows.sharing.matching import Suggestion
from schemas.clock import LOCAL_TZ, utcnow
from schemas.tables import Organisation, Region, Resource, ResourceBookingStatus

TAG = "shared resources"
BEARER: dict[str, list[str]] = {"bearer": []}


def _times(starts_at: datetime | None, ends_at: datetime | None) -> None:
    """A time asked for is a range: both ends, the end after the start (else a 422)."""
    if (starts_at is None) != (ends_at is None) or (starts_at and ends_at and ends_at <= starts_at):
        raise ApiProblem(422, "api.invalid", errors={"ends_at": render("resource.times", None, locale())})


def _items(found: list[Suggestion]) -> ResourceList:
    lang = locale()
    return ResourceList(items=[ResourceItem(
        id=s.resource.id, name=s.resource.name, kind=s.resource.kind,
        kind_title=translate(matching.KIND_TITLES[s.resource.kind], lang), community_id=s.resource.community_id,
        community=s.community, capacity=s.resource.capacity, location=s.resource.location, photo=s.resource.photo,
        distance_km=round(s.distance_km, 2) if s.distance_km is not None else None,
        rating=round(s.rating, 2) if s.rating is not None else None, free=s.free,
        reasons=[Reason(code=m.code, text=m.render(lang)) for m in s.reasons]) for s in found])


@bp.get("/resources")
@spec.validate(query=ResourceQuery, resp=Response(HTTP_200=ResourceList, HTTP_304=None, HTTP_401=Problem,
                                                  HTTP_422=Problem), tags=[TAG], security=BEARER)
@signed_in
def resources_search(query: ResourceQuery):
    """Resources that fit a need (kind, words, a time, a size), best first, measured from my
    community, each with the reasons it matched; at most 20."""
    _times(query.starts_at, query.ends_at)
    return json_response(_items(matching.search(db(), caller(), kind=query.kind, q=query.q,
                                                starts_at=query.starts_at, ends_at=query.ends_at,
                                                capacity=query.capacity)))


@bp.get("/resources/suggestions")
@spec.validate(query=SuggestionQuery, resp=Response(HTTP_200=ResourceList, HTTP_304=None, HTTP_401=Problem,
                                                    HTTP_422=Problem), tags=[TAG], security=BEARER)
@signed_in
def resource_suggestions(query: SuggestionQuery):
    """While an activity is being published: the three best resources free for its time (and
    size), near its community and in its district, with why."""
    _times(query.starts_at, query.ends_at)
    return json_response(_items(matching.for_activity(db(), caller(), query.starts_at, query.ends_at,
                                                      community_id=query.community_id, capacity=query.capacity)))


def _out(shared: Resource, days: int, closed_until_days: int | None = None) -> ResourceOut:
    """The resource as its page shows it, with the held ranges of the next `days` days and the
    closed days of the next `closed_until_days` (as many as `days` unless given)."""
    session, lang, now = db(), locale(), utcnow()
    community = reads.community_of(session, shared)
    org = session.get(Organisation, shared.org_id) if shared.org_id is not None else None
    rows = calendar.weekly_hours(session, shared.id)
    today = now.astimezone(LOCAL_TZ).date()
    closed = calendar.closures(session, shared.id, today, today + timedelta(days=closed_until_days or days))
    return ResourceOut(
        id=shared.id, name=shared.name, kind=shared.kind, kind_title=translate(matching.KIND_TITLES[shared.kind], lang),
        community_id=shared.community_id, community=community.name if community else "", org_id=shared.org_id,
        owner=org.name if org is not None else (community.name if community else ""),
        description=shared.description, location=shared.location, capacity=shared.capacity,
        equipment=shared.equipment, rules=shared.rules, photo=shared.photo, is_active=shared.is_active,
        hours=calendar.hours_lines(rows, lang),
        openings=[Opening(weekday=r.weekday, opens=calendar.clock(r.opens), closes=calendar.clock(r.closes))
                  for r in rows],
        closed_days=[ClosedDay(day=c.day, note=c.note) for c in closed],
        busy=[BusyRange(starts_at=aware(b.starts_at), ends_at=aware(b.ends_at))
              for b in reads.upcoming(session, shared.id, now, days)],
        may_manage=resources.may_manage(session, caller(), shared))


@bp.get(f"/resources/<{ID}:resource_id>")
@spec.validate(query=DetailQuery, resp=Response(HTTP_200=ResourceOut, HTTP_304=None, HTTP_401=Problem,
                                                HTTP_404=Problem, HTTP_422=Problem), tags=[TAG], security=BEARER)
@signed_in
def resource(resource_id: int, query: DetailQuery):
    """A shared resource: what it is, its rules, weekly hours, the closed days and the ranges
    already held in the next `days` days — what is needed to choose a free time."""
    shared = db().get(Resource, resource_id)
    if shared is None or not shared.is_active:
        raise ApiProblem(404, "resource.not_found")
    return json_response(_out(shared, query.days))


@bp.post(f"/resources/<{ID}:resource_id>/requests")
@spec.validate(json=ResourceRequest, resp=Response(HTTP_201=OutcomeOut, HTTP_200=OutcomeOut, HTTP_400=Problem,
                                                   HTTP_401=Problem, HTTP_404=Problem, HTTP_409=Problem,
                                                   HTTP_422=Problem), tags=[TAG], security=BEARER)
@signed_in
@idempotent
def request_resource(resource_id: int, json: ResourceRequest):
    """Request a time of the resource: a demand of the resource request workflow (the range is
    held at once; its holder answers with the demand's steps `approve` or `decline`). A time
    taken, closed, outside the hours or past is a 409 with the sentence why."""
    values = json.model_dump(exclude_none=True)
    values["starts_at"], values["ends_at"] = json.starts_at.isoformat(), json.ends_at.isoformat()
    outcome = requests.request(db(), caller(), resource_id, values, request_key=key())
    response = outcome_response(outcome, 200 if outcome.replayed else 201)
    response.headers["Location"] = f"{bp.url_prefix}/demands/{outcome.demand_id}"
    return response


# ---- 我的资源 ----------------------------------------------------------------------------------

def _mine(shared: Resource, community: str) -> MyResource:
    return MyResource(id=shared.id, name=shared.name, kind=shared.kind, community_id=shared.community_id,
                      community=community, org_id=shared.org_id, is_active=shared.is_active)


def _community_name(community_id: int) -> str:
    region = db().get(Region, community_id)
    return region.name if region is not None else ""


@bp.get("/my/resources")
@spec.validate(resp=Response(HTTP_200=MyResources, HTTP_304=None, HTTP_401=Problem), tags=[TAG], security=BEARER)
@signed_in
def my_resources():
    """我的资源: the resources I keep (my organisations', and my communities' own), where I may
    list a new one, and the newest requests for them."""
    session, me = db(), caller()
    owned = resources.owned(session, me)
    orgs = {o: org.name for o in me.org_admin_of if (org := session.get(Organisation, o)) is not None}
    received = [ReceivedRequest(demand_id=d.id, resource_id=b.resource_id, resource=name, title=d.title,
                                state=d.state, starts_at=aware(b.starts_at), ends_at=aware(b.ends_at),
                                held=b.status is ResourceBookingStatus.HELD)
                for b, d, name in reads.requests_for(session, [r.id for r in owned])]
    return json_response(MyResources(
        items=[_mine(r, _community_name(r.community_id)) for r in owned],
        places=[Place(org_id=p.org_id, org=orgs.get(p.org_id) if p.org_id is not None else None,
                      community_id=p.community_id, community=p.name) for p in resources.places(session, me)],
        requests=received))


@bp.post("/my/resources")
@spec.validate(json=NewResource, resp=Response(HTTP_201=ResourceOut, HTTP_401=Problem, HTTP_404=Problem,
                                               HTTP_422=Problem), tags=[TAG], security=BEARER)
@signed_in
@idempotent
def my_resource_new(json: NewResource):
    """List a new resource: my organisation's, in a community it reported to; or, as the
    community's admin, the community's own (no `org_id`). Another place is a 404."""
    if (json.org_id, json.community_id) not in {(p.org_id, p.community_id) for p in resources.places(db(), caller())}:
        raise ApiProblem(404, "resource.community")
    made = resources.create(db(), caller(), json.org_id, json.community_id,
                            {"name": json.name.strip(), "kind": json.kind.value})
    response = json_response(_out(made, DetailQuery().days, closed_until_days=366), 201)
    response.headers["Location"] = f"{bp.url_prefix}/my/resources/{made.id}"
    return response


def _managed(resource_id: int) -> Resource:
    """A resource I keep; another's is not there (404), as on the web."""
    try:
        return resources.managed(db(), caller(), resource_id)
    except Refused as exc:
        raise ApiProblem(404, "resource.not_found") from exc


@bp.get(f"/my/resources/<{ID}:resource_id>")
@spec.validate(resp=Response(HTTP_200=ResourceOut, HTTP_304=None, HTTP_401=Problem, HTTP_404=Problem), tags=[TAG],
               security=BEARER)
@signed_in
def my_resource(resource_id: int):
    """A resource I keep (also when it is off), with every closed day of the coming year."""
    return json_response(_out(_managed(resource_id), DetailQuery().days, closed_until_days=366))


@bp.put(f"/my/resources/<{ID}:resource_id>")
@spec.validate(json=ResourceEdit, resp=Response(HTTP_200=ResourceOut, HTTP_401=Problem, HTTP_404=Problem,
                                                HTTP_422=Problem), tags=[TAG], security=BEARER)
@signed_in
@idempotent
def my_resource_edit(resource_id: int, json: ResourceEdit):
    """Say what the resource is and when it is open: every field, as the web's form (an omitted
    one is cleared; the photo is kept unless a new upload's key is given). Hours that do not
    read are a 422 and change nothing."""
    shared = _managed(resource_id)
    values: dict[str, object] = {k: (getattr(json, k) or "").strip() or None
                                 for k in ("name", "description", "location", "equipment", "rules")}
    values.update(kind=json.kind.value, capacity=json.capacity)
    if json.photo:
        if storage().size(json.photo) is None:
            raise ApiProblem(422, "api.invalid", errors={"photo": render("api.upload_unknown", None, locale())})
        values["photo"] = json.photo
    edited = resources.edit(db(), caller(), shared.id, values, "\n".join(json.hours))
    return json_response(_out(edited, DetailQuery().days, closed_until_days=366))


@bp.post(f"/my/resources/<{ID}:resource_id>/closed-days")
@spec.validate(json=ClosedDayIn, resp=Response(HTTP_201=ClosedDay, HTTP_401=Problem, HTTP_404=Problem,
                                               HTTP_422=Problem), tags=[TAG], security=BEARER)
@signed_in
@idempotent
def my_resource_closed_day(resource_id: int, json: ClosedDayIn):
    """Close the resource all of a day (Beijing time): a holiday, a repair. A request for that
    day is refused from then on."""
    shared = _managed(resource_id)
    note = (json.note or "").strip() or None
    resources.add_closure(db(), caller(), shared.id, json.day, note)
    return json_response(ClosedDay(day=json.day, note=note), 201)


# ---- the service matrix -------------------------------------------------------------------

@bp.get(f"/communities/<{ID}:community_id>/matrix")
@spec.validate(resp=Response(HTTP_200=Matrix, HTTP_304=None, HTTP_401=Problem, HTTP_404=Problem), tags=[TAG],
               security=BEARER)
@signed_in
def service_matrix(community_id: int):
    """服务矩阵: who shares what around a community, and what each has done (requests used and
    rated, the average rating, the points earned). Open to everyone signed in, as on the web."""
    community = db().get(Region, community_id)
    if community is None:
        raise ApiProblem(404, "api.not_found")
    return json_response(Matrix(community_id=community.id, community=community.name, items=[
        MatrixRow(name=row.name, org_id=row.org.id if row.org else None, work_unit=row.org.work_unit if row.org else None,
                  resources=[_mine(r, community.name) for r in row.resources], served=row.served,
                  rating=round(row.rating, 2) if row.rating is not None else None, points=row.points)
        for row in reads.matrix(db(), community.id)]))
