"""The staff's and admins' tools over the API: the work queue (待办), the community counter
(hand out orders by pickup code, adjust points, the community's phone), 代办 (find or register
a resident, start a demand for them), attendance sheets and 改期. Thin faces over the same
domain calls as the portal's pages (flows.engine.queue, attendance and schedule,
flows.points.shop and reads, flows.people.preferences and behalf, the engine's start with
`on_behalf_of`), with the same checks; a queue item's steps are taken through
`POST /demands/{id}/steps/{step}`."""

import uuid
from datetime import datetime

from spectree import Response

from admin.api import ID, bp, spec
from admin.api.bearer import caller, staff_only
from admin.api.demands import outcome_response, schema_name, started
from admin.api.models import CursorQuery, OutcomeOut
from admin.api.paging import decode, decode_id, json_response, page_of
from admin.api.problems import ApiProblem, Problem
from admin.api.replays import idempotent, key
from admin.api.staff_models import (
    AdjustmentOut,
    AdjustRequest,
    AttendanceConfirm,
    AttendanceDemand,
    AttendanceDemands,
    AttendanceQuery,
    AttendanceRow,
    AttendanceSheet,
    AttendanceStep,
    BehalfPeople,
    BehalfPerson,
    BehalfStart,
    BehalfStartable,
    BehalfStartables,
    CounterCommunities,
    CounterCommunity,
    CounterOrder,
    CounterOrders,
    PeopleQuery,
    PhoneRequest,
    PickupRequest,
    QueueItem,
    QueuePage,
    QueueQuery,
    QueueStep,
    RegisterResident,
    RescheduleRequest,
)
from admin.database import db
from flows.engine import attendance, menu, schedule, visibility
from flows.engine import queue as queue_reads
from flows.people import behalf, preferences, regions
from flows.points import reads as points_reads
from flows.points import shop
from schemas.tables import Order, Region, Role, TaskType, User

TAG = "staff tools"
BEARER: dict[str, list[str]] = {"bearer": []}


def _governed() -> list[Region]:
    """The communities I administer; none is a 403 (these tools are the admins')."""
    communities = regions.admin_communities(db(), caller())
    if not communities:
        raise ApiProblem(403, "api.staff_only")
    return list(communities)


# ---- the work queue (待办) ------------------------------------------------------------------

def _queue_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    position = decode(cursor)
    if position is None:
        return None
    try:
        since, demand_id = position
        at = datetime.fromisoformat(since)
    except (TypeError, ValueError) as exc:
        raise ApiProblem(400, "api.cursor") from exc
    if at.tzinfo is None or not isinstance(demand_id, int) or isinstance(demand_id, bool) or demand_id < 0:
        raise ApiProblem(400, "api.cursor")
    return at, demand_id


@bp.get("/queue")
@spec.validate(query=QueueQuery, resp=Response(HTTP_200=QueuePage, HTTP_304=None, HTTP_400=Problem, HTTP_401=Problem,
                                               HTTP_403=Problem, HTTP_404=Problem, HTTP_422=Problem),
               tags=[TAG], security=BEARER)
@staff_only
def queue(query: QueueQuery):
    """Demands waiting on me (an admin) across the communities I govern, or one of them
    (`community_id`; another's is a 404), oldest first, each with the steps I may take and
    their deadline; `overdue=true` keeps those past it (超时未办). Paged by cursor."""
    _governed()
    if query.community_id is not None and not queue_reads.scope(db(), caller(), query.community_id):
        raise ApiProblem(404, "api.not_found")
    rows = queue_reads.waiting_after(db(), caller(), community_id=query.community_id,
                                     after=_queue_cursor(query.cursor), limit=query.limit + 1, overdue=query.overdue)
    shown, after = page_of(rows, query.limit, lambda w: [w.demand.state_since.isoformat(), w.demand.id])
    return json_response(QueuePage(items=[QueueItem(
        demand_id=w.demand.id, title=w.demand.title, community_id=w.demand.community_id, community=w.community,
        workflow_title=w.workflow_title, task_type=w.kind, state=w.demand.state, state_title=w.state_title, since=w.demand.state_since,
        due=w.due, overdue=w.overdue, steps=[QueueStep(step=name, title=title) for name, title in w.steps])
        for w in shown], next_cursor=after))


# ---- the community counter ------------------------------------------------------------------

def _counter_order(order: Order, item: str, buyer: str) -> CounterOrder:
    return CounterOrder(id=order.id, community_id=order.community_id, item=item, buyer=buyer, quantity=order.quantity,
                        points=order.points, status=order.status.value, pickup_code=order.pickup_code,
                        expires_at=order.expires_at, created_at=order.created_at)


@bp.get("/counter/reserved")
@spec.validate(query=CursorQuery, resp=Response(HTTP_200=CounterOrders, HTTP_304=None, HTTP_400=Problem,
                                                HTTP_401=Problem, HTTP_403=Problem, HTTP_422=Problem),
               tags=[TAG], security=BEARER)
@staff_only
def reserved(query: CursorQuery):
    """Orders waiting to be handed out at my communities' counters, oldest first, with how
    many in all; paged by cursor."""
    ids = [c.id for c in _governed()]
    rows, total = points_reads.reserved_orders(db(), ids, query.limit + 1, after=decode_id(query.cursor))
    shown, after = page_of(rows, query.limit, lambda r: r[0].id)
    return json_response(CounterOrders(total=total, items=[_counter_order(*r) for r in shown], next_cursor=after))


@bp.get("/counter/orders")
@spec.validate(query=CursorQuery, resp=Response(HTTP_200=CounterOrders, HTTP_304=None, HTTP_400=Problem,
                                                HTTP_401=Problem, HTTP_403=Problem, HTTP_422=Problem),
               tags=[TAG], security=BEARER)
@staff_only
def community_orders(query: CursorQuery):
    """Every order of my communities' supermarkets, newest first; paged by cursor."""
    ids = [c.id for c in _governed()]
    rows = points_reads.community_orders(db(), ids, query.limit + 1, before=decode_id(query.cursor))
    shown, after = page_of(rows, query.limit, lambda r: r[0].id)
    return json_response(CounterOrders(items=[_counter_order(*r) for r in shown], next_cursor=after))


@bp.post("/counter/pickups")
@spec.validate(json=PickupRequest, resp=Response(HTTP_200=CounterOrder, HTTP_400=Problem, HTTP_401=Problem,
                                                 HTTP_403=Problem, HTTP_409=Problem, HTTP_422=Problem),
               tags=[TAG], security=BEARER)
@staff_only
@idempotent
def pickup(json: PickupRequest):
    """Hand over the goods against the buyer's pickup code: the order becomes picked up. A code
    not of my communities, or unknown, is `shop.bad_code`; an order already handed out,
    cancelled or expired is `shop.not_reserved` (both 409)."""
    _governed()
    order = shop.confirm_pickup(db(), caller(), json.code)
    return json_response(_counter_order(order, order.item_name, db().get_one(User, order.user_id).display_name))


@bp.post("/counter/adjustments")
@spec.validate(json=AdjustRequest, resp=Response(HTTP_200=AdjustmentOut, HTTP_201=AdjustmentOut, HTTP_202=AdjustmentOut,
                                                 HTTP_400=Problem,
                                                 HTTP_401=Problem, HTTP_403=Problem, HTTP_409=Problem,
                                                 HTTP_422=Problem), tags=[TAG], security=BEARER)
@staff_only
@idempotent
def adjust(json: AdjustRequest):
    """Credit (or debit, negative) a resident's or member's points with a reason, audited. Up
    to the city's approval line it is posted at once (201); above it, it is only submitted
    and waits for a second admin's approval (202). Not my own account, and only a person of
    my communities (403); a debit larger than the balance is refused at once (409). The
    Idempotency-Key is the adjustment's key: never posted twice. A retry after the kept answer
    expired is answered by the shop, `200` with `replayed: true` and what was done the first
    time, as the engine and the shop answer theirs (docs/api.md)."""
    done = shop.adjust(db(), caller(), json.user_id, json.amount, json.reason,
                       request_key=key() or uuid.uuid4().hex)
    posted = done.posting is not None
    return json_response(AdjustmentOut(status="posted" if posted else "pending_approval", user_id=json.user_id,
                                       amount=json.amount, posting_id=done.posting.id if done.posting else None,
                                       request_id=done.request.id if done.request else None, replayed=done.replay),
                         200 if done.replay else 201 if posted else 202)


@bp.get("/counter/communities")
@spec.validate(resp=Response(HTTP_200=CounterCommunities, HTTP_304=None, HTTP_401=Problem, HTTP_403=Problem),
               tags=[TAG], security=BEARER)
@staff_only
def counter_communities():
    """The communities I administer, with the phone number residents call."""
    return json_response(CounterCommunities(items=[CounterCommunity(id=c.id, name=c.name, phone=c.phone)
                                                   for c in sorted(_governed(), key=lambda c: c.path)]))


@bp.put(f"/counter/communities/<{ID}:community_id>/phone")
@spec.validate(json=PhoneRequest, resp=Response(HTTP_200=CounterCommunity, HTTP_400=Problem, HTTP_401=Problem, HTTP_403=Problem,
                                                HTTP_404=Problem, HTTP_422=Problem), tags=[TAG], security=BEARER)
@staff_only
@idempotent
def community_phone(community_id: int, json: PhoneRequest):
    """Set the number residents of my community call (an empty one removes the call button).
    Only the community's own admin (or one above it); another community is a 404."""
    region = preferences.set_community_phone(db(), caller(), community_id, json.phone)
    return json_response(CounterCommunity(id=region.id, name=region.name, phone=region.phone))


# ---- 代办: starting a demand for a resident -------------------------------------------------

def _behalf_entry(task_type_id: int) -> menu.Startable:
    """My 代办 entry for this task type (as the web's /publish/<id>/for); none is a 404."""
    entry = next((e for e in menu.startable(db(), caller()) if e.on_behalf and e.task_type_id == task_type_id), None)
    if entry is None:
        raise ApiProblem(404, "task_type")
    return entry


def _person(person: behalf.Person) -> BehalfPerson:
    return BehalfPerson(user_id=person.user_id, name=person.name, community_id=person.community_id,
                        community=person.community)


@bp.get("/behalf")
@spec.validate(resp=Response(HTTP_200=BehalfStartables, HTTP_304=None, HTTP_401=Problem, HTTP_403=Problem), tags=[TAG],
               security=BEARER)
@staff_only
def behalf_startables():
    """What I (an admin) may start for a resident who has no phone (代办), where, and the input
    schema of its start step (403 api.staff_only for everyone but admins)."""
    items = []
    for e in menu.startable(db(), caller()):
        if not e.on_behalf:
            continue
        task_type = db().get_one(TaskType, e.task_type_id)
        items.append(BehalfStartable(task_type_id=e.task_type_id, code=e.code, name=e.name, category=e.category,
                                     step=e.step, step_title=e.step_title, for_role=e.for_role or "",
                                     input_schema=schema_name(task_type.workflow_id, e.step),
                                     communities=[{"id": c, "name": n} for c, n in e.communities]))
    return json_response(BehalfStartables(items=items))


@bp.get(f"/behalf/<{ID}:task_type_id>/people")
@spec.validate(query=PeopleQuery, resp=Response(HTTP_200=BehalfPeople, HTTP_304=None, HTTP_400=Problem,
                                                HTTP_401=Problem, HTTP_403=Problem, HTTP_404=Problem, HTTP_422=Problem),
               tags=[TAG], security=BEARER)
@staff_only
def behalf_people(task_type_id: int, query: PeopleQuery):
    """The people of my communities I may start this for, by name (`q` finds part of it)."""
    entry = _behalf_entry(task_type_id)
    found = behalf.people(db(), caller(), entry.for_role or "", [c for c, _ in entry.communities],
                          q=(query.q or "").strip())
    return json_response(BehalfPeople(items=[_person(p) for p in found]))


@bp.post(f"/behalf/<{ID}:task_type_id>/people")
@spec.validate(json=RegisterResident, resp=Response(HTTP_201=BehalfPerson, HTTP_400=Problem, HTTP_401=Problem, HTTP_403=Problem,
                                                    HTTP_404=Problem, HTTP_422=Problem), tags=[TAG], security=BEARER)
@staff_only
@idempotent
def behalf_register(task_type_id: int, json: RegisterResident):
    """Register a resident of my community who has no phone (no password: they cannot log in
    until an admin sets one), to start this for them. The Idempotency-Key is the registration's
    key: a retry finds the resident it made, never a second one."""
    entry = _behalf_entry(task_type_id)
    if entry.for_role != Role.RESIDENT.value:
        raise ApiProblem(404, "task_type")  # only residents are registered here; members sign up
    user = behalf.register_resident(db(), caller(), json.community_id, json.display_name, phone=json.phone,
                                    password=json.password, request_key=key() or uuid.uuid4().hex)
    found = behalf.person(db(), caller(), user.id, entry.for_role)
    if found is None:  # registered where this task type is not offered to me
        raise ApiProblem(404, "api.not_found")
    response = json_response(_person(found), 201)
    response.headers["Location"] = f"{bp.url_prefix}/behalf/{task_type_id}/people/{user.id}"
    return response


@bp.post(f"/behalf/<{ID}:task_type_id>/people/<{ID}:user_id>/start")
@spec.validate(json=BehalfStart, resp=Response(HTTP_201=OutcomeOut, HTTP_400=Problem,
                                               HTTP_401=Problem, HTTP_403=Problem, HTTP_404=Problem, HTTP_422=Problem),
               tags=[TAG], security=BEARER)
@staff_only
@idempotent
def behalf_start(task_type_id: int, user_id: int, json: BehalfStart):
    """Start the demand for the person (代办), in their community: they are its requester, I
    am recorded as who acted. 201 with its Location (a replayed Idempotency-Key answers the
    first answer again). Someone not of my communities is a 404."""
    entry = _behalf_entry(task_type_id)
    person = behalf.person(db(), caller(), user_id, entry.for_role or "")
    if person is None or person.community_id not in {c for c, _ in entry.communities}:
        raise ApiProblem(404, "api.not_found")
    return started(entry, person.community_id, json.values, on_behalf_of=person.user_id)


# ---- attendance sheets ----------------------------------------------------------------------

@bp.get("/attendance")
@spec.validate(query=AttendanceQuery, resp=Response(HTTP_200=AttendanceDemands, HTTP_304=None, HTTP_401=Problem,
                                                    HTTP_403=Problem, HTTP_404=Problem, HTTP_422=Problem),
               tags=[TAG], security=BEARER)
@staff_only
def attendance_demands(query: AttendanceQuery):
    """Activities under way in my communities (or one of them) whose participants' attendance I
    may confirm now, oldest first (the first 50, and how many in all)."""
    _governed()
    if query.community_id is not None and not queue_reads.scope(db(), caller(), query.community_id):
        raise ApiProblem(404, "api.not_found")
    rows, total = queue_reads.attendance(db(), caller(), community_id=query.community_id)
    return json_response(AttendanceDemands(total=total, items=[AttendanceDemand(
        demand_id=a.demand.id, title=a.demand.title, community=a.community, state_title=a.state_title,
        participants=a.participants, signed_in=a.signed_in, signed_out=a.signed_out) for a in rows]))


def _sheet(demand_id: int) -> attendance.Sheet:
    found = attendance.sheet(db(), caller(), demand_id)
    if found is None:
        raise ApiProblem(404, "not_found")
    return found


@bp.get(f"/demands/<{ID}:demand_id>/attendance")
@spec.validate(resp=Response(HTTP_200=AttendanceSheet, HTTP_304=None, HTTP_401=Problem, HTTP_403=Problem, HTTP_404=Problem),
               tags=[TAG], security=BEARER)
@staff_only
def attendance_sheet(demand_id: int):
    """The sign-in sheet of a demand of my community: who signed up, whether they signed in and
    out, and which attendance steps its state allows now. Not my community's: 404."""
    found = _sheet(demand_id)
    d = found.demand
    return json_response(AttendanceSheet(
        demand_id=d.id, title=d.title, state=d.state, state_title=found.workflow.state_title(d.state),
        steps=[AttendanceStep(step=name, title=step.title, record=step.record or "")
               for name, step in found.steps.items()],
        people=[AttendanceRow(user_id=p.user_id, name=p.name, signed_in_at=p.signed_in_at,
                              signed_out_at=p.signed_out_at, hours=p.hours,
                              open_steps=[name for name, step in found.steps.items()
                                          if attendance.open_for(p, step, found.demand)])
                for p in found.people]))


@bp.post(f"/demands/<{ID}:demand_id>/attendance")
@spec.validate(json=AttendanceConfirm, resp=Response(HTTP_200=OutcomeOut, HTTP_400=Problem, HTTP_401=Problem, HTTP_403=Problem,
                                                     HTTP_404=Problem, HTTP_409=Problem, HTTP_422=Problem),
               tags=[TAG], security=BEARER)
@staff_only
@idempotent
def attendance_confirm(demand_id: int, json: AttendanceConfirm):
    """Confirm a participant's sign-in or sign-out for them (the paper sheet), through the
    engine: the event records both of us. Not a participant: 404; a step the state does not
    allow, a second sign-in, a sign-out before the sign-in: 409 with the engine's sentence."""
    found = _sheet(demand_id)
    return outcome_response(attendance.confirm(db(), caller(), found, json.step, json.user_id, request_key=key()))


# ---- 改期: rescheduling a demand ------------------------------------------------------------

@bp.post(f"/demands/<{ID}:demand_id>/reschedule")
@spec.validate(json=RescheduleRequest, resp=Response(HTTP_200=OutcomeOut, HTTP_400=Problem, HTTP_401=Problem,
                                                     HTTP_403=Problem, HTTP_404=Problem, HTTP_409=Problem,
                                                     HTTP_422=Problem), tags=[TAG], security=BEARER)
@staff_only
@idempotent
def reschedule(demand_id: int, json: RescheduleRequest):
    """改期: move an activity's time (its community's admins only: 403 for others who see it).
    Reminders follow by themselves. A finished demand: 409; an end before the start: 422."""
    d = visibility.visible_demand(db(), caller(), demand_id)
    if d is None:
        raise ApiProblem(404, "not_found")
    return outcome_response(schedule.reschedule(db(), caller(), d.id, json.model_dump(mode="json", exclude_none=True),
                                                request_key=key()))
