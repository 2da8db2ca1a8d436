"""Demands over the API: the hall, a demand with its timeline and the steps I may take now,
taking a step, what I may start, and starting it. Every change goes through the engine (the
same door, checks and one-time keys as the web's forms); a step's `values` are validated by
the step's input model compiled from the workflow, so a field a district adds in YAML is
accepted here, and described in the document, with no code change."""

from collections.abc import Mapping
from typing import Any

from flask import request
from spectree import Response

from admin import presence
from admin.api import ID, bp, spec
from admin.api.bearer import caller, signed_in
from admin.api.models import (
    ClosedStep,
    DemandOut,
    HallItem,
    HallPage,
    HallQuery,
    Note,
    OutcomeOut,
    Startable,
    Startables,
    StartRequest,
    StepRef,
    StepRequest,
    TimelineEntry,
    Upload,
)
from admin.api.paging import decode, encode, json_response
from admin.api.problems import ApiProblem, Problem, locale
from admin.api.replays import idempotent, key
from admin.database import db
from admin.portal.common import storage
from flows import engine
from flows.core.i18n import render
from flows.core.storage import StorageRefused, is_storage_key
from flows.engine import closed, history, menu, notes, visibility
from flows.engine.hall import hall as hall_rows
from flows.engine.outcomes import Outcome
from flows.people import privacy, regions
from flows.workflow import registry
from flows.workflow.compiled import CompiledWorkflow
from schemas.tables import Demand, Region, TaskType
from schemas.workflow import FormField, HumanStep, ImageField

TAG = "demands"
BEARER: dict[str, list[str]] = {"bearer": []}
HALL_WINDOW = 500  # the hall's rows read to page through (the web shows the first 50)


def schema_name(workflow_id: str, step: str) -> str:
    """The `components.schemas` name of a step's input (see admin/api/document.py)."""
    return f"{workflow_id}.{step}"


@bp.get("/hall")
@spec.validate(query=HallQuery, resp=Response(HTTP_200=HallPage, HTTP_304=None, HTTP_400=Problem, HTTP_401=Problem,
                                              HTTP_422=Problem), tags=[TAG], security=BEARER)
@signed_in
def hall(query: HallQuery):
    """Demands open to me in my communities: by time, or by distance from `lat`,`lng`; with a
    skill filter and whether my skills match. Paged by cursor."""
    near = (query.lat, query.lng) if query.lat is not None and query.lng is not None else None
    after = decode(query.cursor)
    if after is not None and (not isinstance(after, int) or isinstance(after, bool) or after < 0):
        raise ApiProblem(400, "api.cursor")
    start = after or 0
    rows = hall_rows(db(), caller(), community_id=query.community_id, task_type_id=query.task_type_id,
                     skill=query.skill or None, sort="distance" if near else "time", near=near,
                     limit=min(HALL_WINDOW, start + query.limit + 1))
    page = rows[start:start + query.limit]
    items = [HallItem(id=r.demand.id, title=privacy.mask_phones_in(r.demand.title), task_type=r.task_type,
                      community=r.community, state=r.demand.state, starts_at=r.demand.starts_at,
                      distance_km=r.distance_km, skill_match=r.match) for r in page]
    more = len(rows) > start + query.limit
    return json_response(HallPage(items=items, next_cursor=encode(start + query.limit) if more else None))


def _visible(demand_id: int) -> tuple[Demand, CompiledWorkflow]:
    demand = visibility.visible_demand(db(), caller(), demand_id)
    if demand is None:
        raise ApiProblem(404, "not_found")
    return demand, registry.load(db(), demand.workflow_id, demand.workflow_version, demand.workflow_hash)


def _demand(d: Demand, workflow: CompiledWorkflow) -> DemandOut:
    community = db().get_one(Region, d.community_id)
    me = caller()
    from flows.engine.claims import active_claims

    people = [d.requester_id] + [c.user_id for c in active_claims(db(), d.id)]
    reveal = privacy.sees_personal_data(me, community.path, people, holder_org=d.org_id)
    shut = closed.closed_claims(db(), me, d)
    now, later = visibility.steps_now_and_later(db(), me, d)
    steps = [StepRef(step=name, title=step.title, input_schema=schema_name(workflow.id, name), ends=workflow.ends(name),
                     asks_first=workflow.asks_first(name), help=step.help)
             for name, step in now if name not in {c.step for c in shut}]
    # as the page: a claim closed to the reader, then a step of theirs whose time has not come (or has gone)
    waits = [(c.step, c.title, c.refusal) for c in shut] + [
        (name, step.title, refusal) for name, step, refusal in later if name not in {c.step for c in shut}]
    timeline = [TimelineEntry(step=e["step"], title=_step_title(workflow, e["step"]), to_state=e["to"], at=e["at"],
                              who=e["who"] if reveal or e["official"] or e["actor_id"] in (None, me.user_id)
                              else privacy.mask_name(e["who"]),
                              notes=[Note(title=t, value=v) for t, v in notes.step_notes(workflow, e["step"], e["data"],
                                                                                         reveal)])
                for e in history.timeline(db(), d.id, workflow)]
    task_type = db().get_one(TaskType, d.task_type_id)

    def text(value: str | None) -> str | None:
        return value if reveal or value is None else privacy.mask_phones_in(value)

    return DemandOut(id=d.id, title=text(d.title) or "", workflow=workflow.id, workflow_version=d.workflow_version,
                     task_type=task_type.name, community_id=d.community_id, state=d.state,
                     state_title=workflow.state_title(d.state), starts_at=d.starts_at, ends_at=d.ends_at,
                     place=text(d.place), created_at=d.created_at,
                     data={"description": text(d.description), "capacity": d.capacity, "taken": d.taken},
                     steps=steps, timeline=timeline,
                     closed=[ClosedStep(step=name, title=title, code=refusal.code,
                                        detail=render(refusal.code, refusal.params, locale()))
                             for name, title, refusal in waits])


def _step_title(workflow: CompiledWorkflow, name: str) -> str:
    step = workflow.step(name)
    return step.title if step is not None else name


@bp.get(f"/demands/<{ID}:demand_id>")
@spec.validate(resp=Response(HTTP_200=DemandOut, HTTP_304=None, HTTP_401=Problem, HTTP_404=Problem), tags=[TAG],
               security=BEARER)
@signed_in
def demand(demand_id: int):
    """A demand I may see: its state, its timeline and the steps I may take now, each with
    the name of its input schema in the document."""
    d, workflow = _visible(demand_id)
    return json_response(_demand(d, workflow))


def check_images(form: Mapping[str, FormField], values: Mapping[str, Any]) -> None:
    """An image field's value names a file `/uploads` stored, within the field's limit. The web
    stores the file itself and hands the engine its key; here the app sends the key, and the
    engine checks only its form: a made-up one would stand as the proof photo of a service
    nobody photographed."""
    errors = {}
    for name, field in form.items():
        value = values.get(name)
        if not isinstance(field, ImageField) or not isinstance(value, str) or not is_storage_key(value):
            continue  # no value, or one the engine refuses by its form
        size = storage().size(value)
        if size is None:
            errors[name] = render("api.upload_unknown", None, locale())
        elif size > field.max_mb * 1024 * 1024:
            errors[name] = render("storage.too_large", {"limit": f"{field.max_mb:g}"}, locale())
    if errors:
        raise ApiProblem(422, "api.invalid", errors=errors)


def outcome_response(outcome: Outcome, status: int = 200):
    return json_response(OutcomeOut(demand_id=outcome.demand_id, step=outcome.step, from_state=outcome.from_state,
                                    to_state=outcome.to_state, state_title=outcome.state_title,
                                    replayed=outcome.replayed, message=outcome.message(locale())), status)


@bp.post(f"/demands/<{ID}:demand_id>/steps/<step>")
@spec.validate(json=StepRequest, resp=Response(HTTP_200=OutcomeOut, HTTP_400=Problem, HTTP_401=Problem,
                                               HTTP_403=Problem, HTTP_404=Problem, HTTP_409=Problem,
                                               HTTP_422=Problem), tags=[TAG], security=BEARER)
@signed_in
@idempotent
def take_step(demand_id: int, step: str, json: StepRequest):
    """Take a human step (claim, sign in or out, serve, rate, confirm, cancel…): `values` as
    the step's input schema says (`<workflow>.<step>` in components). With an
    `Idempotency-Key`, the same request again is answered once, never done twice."""
    d, workflow = _visible(demand_id)
    spec = workflow.step(step)
    if isinstance(spec, HumanStep):
        check_images(spec.form, json.values)
    present = presence.valid(d.id, json.presence_code) if json.presence_code else False
    return outcome_response(engine.act(db(), caller(), d.id, step, json.values, request_key=key(), present=present))


@bp.get("/start")
@spec.validate(resp=Response(HTTP_200=Startables, HTTP_304=None, HTTP_401=Problem), tags=[TAG], security=BEARER)
@signed_in
def startables():
    """What I may start myself (post a wish, create an activity or a volunteer item), where,
    and the input schema of its start step. Bookings are made from a slot (`/slots/{id}/book`);
    starting for someone else (代办) is under `/behalf`."""
    entries = [e for e in menu.startable(db(), caller()) if not e.on_behalf and not e.booking]
    items = []
    for e in entries:
        task_type = db().get_one(TaskType, e.task_type_id)
        items.append(Startable(task_type_id=e.task_type_id, code=e.code, name=e.name, category=e.category,
                               step=e.step, step_title=e.step_title,
                               input_schema=schema_name(task_type.workflow_id, e.step),
                               communities=[{"id": c, "name": n} for c, n in e.communities]))
    return json_response(Startables(items=items))


@bp.post(f"/start/<{ID}:task_type_id>")
@spec.validate(json=StartRequest, resp=Response(HTTP_201=OutcomeOut, HTTP_200=OutcomeOut, HTTP_400=Problem,
                                                HTTP_401=Problem, HTTP_403=Problem, HTTP_404=Problem,
                                                HTTP_409=Problem, HTTP_422=Problem), tags=[TAG], security=BEARER)
@signed_in
@idempotent
def start(task_type_id: int, json: StartRequest):
    """Start a demand of a task type from my menu, in one of its communities (the first when
    omitted): `values` as the start step's input schema says."""
    entry = next((e for e in menu.startable(db(), caller())
                  if e.task_type_id == task_type_id and not e.on_behalf and not e.booking), None)
    if entry is None:
        raise ApiProblem(404, "task_type")
    return started(entry, json.community_id or entry.communities[0][0], json.values)


def started(entry: menu.Startable, community: int, values: dict[str, Any], on_behalf_of: int | None = None):
    """Start the menu entry's demand in `community` (for `on_behalf_of`, 代办): 201 and its
    Location, or 200 for a replayed key."""
    task_type = db().get_one(TaskType, entry.task_type_id)
    where = db().get(Region, community)
    _, workflow = registry.load_latest(db(), task_type.workflow_id,
                                       regions.district_id(where.path) if where is not None else None)
    starting = workflow.start_steps().get(entry.step)
    if starting is not None:
        check_images(starting.form, values)
    outcome = engine.start(db(), caller(), entry.task_type_id, values, step=entry.step, community_id=community,
                           on_behalf_of=on_behalf_of, request_key=key())
    response = outcome_response(outcome, 200 if outcome.replayed else 201)
    response.headers["Location"] = f"{bp.url_prefix}/demands/{outcome.demand_id}"
    return response


@bp.post("/uploads")
@spec.validate(resp=Response(HTTP_201=Upload, HTTP_401=Problem, HTTP_413=Problem, HTTP_422=Problem), tags=[TAG],
               security=BEARER)
@signed_in
def upload():
    """Upload a photo (multipart, field `file`, JPEG/PNG/WebP, ≤ 5 MB): its key goes in an
    image field of a step's values."""
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        raise ApiProblem(422, "api.upload_missing")
    try:
        saved = storage().save(sent.read(5 * 1024 * 1024 + 1), max_bytes=5 * 1024 * 1024)
    except StorageRefused as exc:  # over 5 MB is a 413, as a body over the app's limit is
        status = 413 if exc.code == "storage.too_large" else 422
        raise ApiProblem(status, exc.code, exc.params, errors={"file": exc.message(locale())}) from exc
    return json_response(Upload(key=saved), 201)
