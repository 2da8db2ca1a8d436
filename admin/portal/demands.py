"""A demand's page, its step forms, starting new demands, sign-in QR codes and proof files.

Every form that could do something twice carries a one-time key issued when it is shown; a
step's form is shown only to someone who may take the step (the GET asks the engine the same
question as the POST)."""
from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext
from flask_login import login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from admin import presence
from admin.auth import actor
from admin.database import db
from admin.i18n import field_errors, flash_refusal, refusal_text
from admin.params import form_int
from admin.portal import bp, elder, publish
from admin.portal.back import back_to, came_from, demand_url
from admin.portal.common import (
    flash_outcome,
    lang,
    member_choices,
    new_request_key,
    posted_request_key,
    qr_svg,
    read_step_form,
    storage,
)
from admin.portal.nav import nav
from flows import engine
from flows.catalogue import task_types
from flows.core.i18n import render
from flows.core.refusals import Refused
from flows.core.storage import TYPES, is_storage_key
from flows.engine import attendance, closed, effects, history, notes, records, reminders, schedule, visibility
from flows.engine.claims import active_claims
from flows.engine.outcomes import Outcome
from flows.people import privacy, regions
from flows.sharing import matching
from flows.sharing import reads as sharing_reads
from flows.workflow import registry
from flows.workflow.compiled import CompiledWorkflow
from schemas.clock import as_local
from schemas.tables import Demand, Region, TaskType, User
from schemas.workflow import HumanStep


def _visible(demand_id: int):
    demand = visibility.visible_demand(db(), actor(), demand_id)
    if demand is None:
        abort(404)
    return demand, registry.load(db(), demand.workflow_id, demand.workflow_version, demand.workflow_hash)


@bp.get("/d/<id:demand_id>")
@login_required
def demand(demand_id: int):
    """State, timeline and the steps this person can take now (each button its own one-time key)."""
    d, workflow = _visible(demand_id)
    community = d.community  # loaded with the demand by visible_demand
    is_admin = actor().in_scope("community_admin", community.path)
    sheet = bool(attendance.attendance_steps(workflow, d.state)) and is_admin
    claims = active_claims(db(), d.id)
    people = [d.requester_id] + [c.user_id for c in claims]
    reveal = privacy.sees_personal_data(actor(), community.path, people, holder_org=d.org_id)
    # who asked, and how to reach them, for the people of the demand (a claimant was told "they
    # will contact you" and had only a name): never to anyone else
    requester = db().get(User, d.requester_id) if reveal and d.requester_id not in (None, actor().user_id) else None
    # and the other way: who asked sees who serves them (a booking's member sent, a wish's
    # claimant), to know who is coming (the walk): a demand for one (capacity 1); those who sign
    # up for an activity or a volunteer item stay unnamed to its publisher, however few
    # (and the community's admins, who sent them, see it on the page too, not only in 预约安排)
    serving = [db().get(User, c.user_id) for c in claims if c.user_id is not None] \
        if (d.requester_id == actor().user_id or is_admin) and d.capacity <= 1 else []
    back = back_to(request.args.get("from"), nav(), involved=actor().user_id in people, governs=is_admin)
    shut = closed.closed_claims(db(), actor(), d)  # a claim that would be refused: the reason, no button
    now, later = visibility.steps_now_and_later(db(), actor(), d)
    steps = [(name, s) for name, s in now if name not in {c.step for c in shut}]
    why_not = [(c.title, c.refusal.code, render(c.refusal.code, c.refusal.params, lang())) for c in shut] + [
        (s.title, refusal.code, render(refusal.code, refusal.params, lang()))
        for name, s, refusal in later if name not in {c.step for c in shut}]
    return render_template("demand.html", back=back, came=came_from(), d=d, wf=workflow, steps=steps, why_not=why_not,
                           timeline=history.timeline(db(), d.id, workflow), community=community, step_notes=notes.step_notes,
                           task_type=db().get(TaskType, d.task_type_id), sheet=sheet, requester=requester,
                           serving=[u for u in serving if u is not None],
                           asked=notes.start_notes(workflow, d.data, reveal),
                           reveal=reveal, new_key=new_request_key,
                           next_line=elder.what_next(workflow, d.state,
                                                     claimed=any(c.user_id == actor().user_id for c in claims),
                                                     requester=d.requester_id == actor().user_id,
                                                     takes=lambda role: actor().in_scope(role, community.path)),
                           qr_step=records.door_code_step(workflow, d.state) if is_admin else None,
                           confirming=reminders.awaiting(db(), actor(), d, workflow),
                           movable=is_admin and schedule.timed(workflow) and not workflow.is_terminal(d.state),
                           **_sharing(d, workflow, community, is_admin))


@bp.post("/d/<id:demand_id>/confirm")
@login_required
def confirm(demand_id: int):
    """确认参加: the claimant keeps their place (once per one-time key); the engine decides."""
    d, _ = _visible(demand_id)
    try:
        flash_outcome(reminders.confirm(db(), actor(), d.id, request_key=posted_request_key()))
    except Refused as exc:
        flash_refusal(exc)
    return redirect(url_for("portal.demand", demand_id=d.id))


def _sharing(d, workflow, community, is_admin: bool) -> dict:
    """What the page says about shared resources: the resource a request books; for an admin's
    activity with a time, the resources requested for it and suggestions that say why."""
    booked = sharing_reads.booking_of(db(), d.id)
    suggestions = []
    # an activity whose time its admin set (not a booking of a slot: a haircut needs no projector)
    if booked is None and is_admin and d.starts_at and d.ends_at and schedule.timed(workflow) \
            and not workflow.is_terminal(d.state):
        near = (community.lat, community.lng) if community.lat is not None and community.lng is not None else None
        found = matching.suggest(db(), starts_at=d.starts_at, ends_at=d.ends_at, near=near,
                                 capacity=d.capacity if d.capacity and d.capacity > 1 else None,
                                 district_path="/".join(community.path.split("/")[:3]) + "/", limit=3)
        suggestions = [(s, [m.render(lang()) for m in s.reasons]) for s in found if s.free]
    return {"resource_booked": booked, "resources_for": sharing_reads.booked_for(db(), d.id) if is_admin else [],
            "resource_suggestions": suggestions}


def _send(demand_id: int, act: Callable[[], Outcome], done_before: Callable[[Refused], bool] | None = None,
          ) -> tuple[Response | None, dict[str, str]]:
    """Send a form's action to the engine: done or refused outright, back to the demand with the
    answer; refused about some fields, no page yet but the sentences to show beside them.
    `done_before`: says so (and answers True) when the refusal is of a step the person just did
    (a second tab, the Back button)."""
    try:
        outcome = act()
    except Refused as exc:
        if exc.field_messages:
            return None, field_errors(exc)
        if done_before is None or not done_before(exc):
            flash_refusal(exc)
    else:
        flash_outcome(outcome)
    return redirect(demand_url(demand_id)), {}


@bp.route("/d/<id:demand_id>/step/<step>", methods=["GET", "POST"])
@login_required
def step(demand_id: int, step: str):
    """The step's form, generated from its YAML spec; the engine decides and answers."""
    d, workflow = _visible(demand_id)
    spec = workflow.step(step)
    if not isinstance(spec, HumanStep):
        abort(404)
    errors: dict[str, str] = {}

    def done_before(exc: Refused) -> bool:
        """The Back button or a second tab after the step was done: refused only because it was
        done (the state moved on; after 放弃抢单 the organisation no longer holds it, so it is not
        theirs to take), nothing went wrong: say so. A refusal with its own words stays."""
        if exc.code not in ("state", "role") or not history.took_step(db(), d.id, step, actor().user_id):
            return False
        db().refresh(d)
        flash(gettext("您已经%(step)s了，现在是“%(state)s”", step=spec.title, state=workflow.state_title(d.state)),
              "info")
        return True

    if request.method == "GET":
        try:  # the same authorisation as the POST: no form (and no member list) for who may not send it
            engine.check(db(), actor(), d.id, step, present=presence.scanned(d.id))
        except Refused as exc:
            if not done_before(exc):
                flash_refusal(exc)
            return redirect(demand_url(d.id))
    else:
        values, errors = read_step_form(spec.form)
        if not errors:
            done, errors = _send(d.id, lambda: engine.act(db(), actor(), d.id, step, values,
                                                        request_key=posted_request_key(),
                                                        present=presence.scanned(d.id)), done_before)
            if done is not None:
                return done
    members = member_choices(d.community_id, d) if any(f.type == "member" for f in spec.form.values()) else []
    # giving up takes the organisation's members' places with it: say how many, before the tap
    released = len(records.places_through_org(db(), d)) if spec.record == "give_up" else 0
    # settling points: each person's hours and points, before the tap (a step with a form, a
    # rating say, would change the figures it shows: none is shown there)
    credits = effects.settlement(db(), d, workflow, step) if workflow.ends(step) and not spec.form else []
    return render_template("step.html", d=d, wf=workflow, name=step, spec=spec, errors=errors, form=request.form,
                           came=came_from(), released=released, credits=credits,
                           members=members, request_key=posted_request_key() or new_request_key()), (
        400 if errors else 200)


@bp.route("/d/<id:demand_id>/reschedule", methods=["GET", "POST"])
@login_required
def reschedule(demand_id: int):
    """改期: a community admin moves the demand's time; reminders follow by themselves."""
    d, workflow = _visible(demand_id)
    errors: dict[str, str] = {}
    try:  # the same authorisation as the POST: no form for who may not send it
        schedule.check(db(), actor(), d)
    except Refused as exc:
        flash_refusal(exc)
        return redirect(url_for("portal.demand", demand_id=d.id))
    fields = schedule.fields_for(workflow, d, lang())
    # the end starts empty: left so, it keeps the length (filled with the old end, a start moved
    # past it was refused as "the end before the start")
    form = request.form if request.method == "POST" else {"starts_at": local_input(d.starts_at)}
    if request.method == "POST":
        values, _ = read_step_form(fields)
        done, errors = _send(d.id, lambda: schedule.reschedule(db(), actor(), d.id, values,
                                                             request_key=posted_request_key()))
        if done is not None:
            return done
    # the form's words are the platform's, not a district's workflow text: in the reader's language
    shown = {name: f.model_copy(update={"title": gettext(f.title), "help": f.help and gettext(f.help)})
             for name, f in fields.items()}
    spec = {"title": gettext("改期"), "form": shown, "help": None}
    return render_template("step.html", d=d, wf=workflow, name="reschedule", spec=spec, errors=errors, form=form,
                           members=[], request_key=posted_request_key() or new_request_key()), (
        400 if errors else 200)


def local_input(when) -> str:
    """A stored time as a datetime-local input shows it (Beijing time, to the minute)."""
    return as_local(when).strftime("%Y-%m-%dT%H:%M") if when else ""


@bp.route("/new/<code>", methods=["GET", "POST"])
@login_required
def start(code: str):
    """Post a micro-wish, create an activity or a volunteer item: the start step's form, where
    the menu says this person may start it (or, with `for`, start it for someone: 代办)."""
    task_type = _task_type(code)
    if task_type is None:
        abort(404)
    entry, person = publish.start_entry(task_type)
    if entry.booking:
        return redirect(url_for("portal.book"))
    communities = [(person.community_id, person.community)] if person else list(entry.communities)
    # The form is the one of the line the chosen community's district runs (its own, or the
    # city's templates); engine.start picks the same line.
    district = task_type.district_id
    if district is None and communities:
        chosen = form_int("community_id", required=False) if request.method == "POST" else None
        where = db().get(Region, next((c for c, _ in communities if c == chosen), communities[0][0]))
        district = regions.district_id(where.path) if where is not None else None
    _, workflow = registry.load_latest(db(), task_type.workflow_id, district)
    name, spec = entry.step, workflow.start_steps()[entry.step]
    errors: dict[str, str] = {}
    if request.method == "POST":
        values, errors = read_step_form(spec.form)
        if not errors:
            try:
                outcome = engine.start(db(), actor(), task_type.id, values, step=name,
                                       community_id=form_int("community_id", required=False) or 0,
                                       on_behalf_of=person.user_id if person else None,
                                       request_key=posted_request_key())
            except Refused as exc:
                errors = field_errors(exc) or {"community_id": refusal_text(exc)}
            else:
                flash_outcome(outcome)
                return redirect(url_for("portal.demand", demand_id=outcome.demand_id))
    # an activity's time (both ends) can be matched to shared resources while the form is filled
    suggest = {"starts_at", "ends_at"} <= set(spec.form) and spec.record not in ("booking", "resource_booking")
    return render_template("start.html", task_type=task_type, spec=spec, name=name, errors=errors, suggest=suggest,
                           back=_start_back(task_type, person is not None),
                           form=request.form, communities=communities, person=person,
                           request_key=posted_request_key() or new_request_key()), (400 if errors else 200)


def _start_back(task_type: TaskType, for_someone: bool) -> tuple[str, str]:
    """A new demand's form leads back where it was opened: 代办's list of residents, 发布's
    menu (`?from=publish`), otherwise the home page's shortcuts."""
    if for_someone:
        return url_for("portal.behalf_pick", task_type_id=task_type.id), gettext("‹ 返回代办")
    if request.args.get("from") == "publish" and nav().publish:
        return url_for("portal.publish"), gettext("‹ 返回发布")
    return url_for("portal.index"), gettext("‹ 返回首页")


def _task_type(code: str) -> TaskType | None:
    """`micro_wish` means this person's own district's micro-wish type, or the city-wide one
    when the district has none; never another district's type of the same code."""
    return task_types.resolve(db(), code, regions.districts_of(db(), actor()))


def _sign_in_target(demand_id: int) -> tuple[Demand, CompiledWorkflow, str, str]:
    """The demand, its workflow, the step that records a sign-in (read from the workflow) and
    the link its QR code opens; only the admins of its community print it, and only while a
    sign-in or sign-out can still come."""
    d, workflow = _visible(demand_id)
    community = db().get(Region, d.community_id)
    name = records.door_code_step(workflow, d.state)
    if name is None or community is None or not actor().in_scope("community_admin", community.path):
        abort(404)
    return d, workflow, name, url_for("portal.here", demand_id=d.id, code=presence.code_for(d.id), _external=True)


@bp.get("/d/<id:demand_id>/here")
@login_required
def here(demand_id: int):
    """What the sign-in QR code opens: its code shows the person is at the door, for the next
    few minutes (the `on_site` guard of 签到 and 签退); then the step to take, or the demand."""
    d, workflow = _visible(demand_id)
    if not presence.valid(d.id, request.args.get("code")):
        flash_refusal(Refused("presence.wrong_code"))
        return redirect(url_for("portal.demand", demand_id=d.id))
    presence.remember_scan(d.id)
    name = records.scan_step(db(), workflow, d, actor())  # 签到 on arrival, 签退 on leaving
    if name is None:
        return redirect(url_for("portal.demand", demand_id=d.id))
    try:
        engine.check(db(), actor(), d.id, name, present=True)
    except Refused as exc:  # too early or late, not signed up…: the reason, on the demand's page
        flash_refusal(exc)
        return redirect(url_for("portal.demand", demand_id=d.id))
    flash(render("presence.scanned", None, lang()), "success")
    return redirect(url_for("portal.step", demand_id=d.id, step=name))


@bp.get("/d/<id:demand_id>/qr")
@login_required
def qr_page(demand_id: int):
    """The page a community prints or shows on a screen at the door: the QR code and its link."""
    d, workflow, name, target = _sign_in_target(demand_id)
    return render_template("qr.html", d=d, wf=workflow, step=workflow.spec.steps[name], target=target)


@bp.get("/d/<id:demand_id>/qr.svg")
@login_required
def qr(demand_id: int):
    """The QR code itself: scanning it opens the sign-in step, which checks the time window."""
    d, workflow, name, target = _sign_in_target(demand_id)
    return qr_svg(target, title=f"{workflow.spec.steps[name].title} #{d.id}", scale=8)


@bp.get("/files/<key>")
@login_required
def file(key: str):
    """A proof photo, to the people of its demand: its requester, who took it, the organisation
    holding the demand and the community's admins (a photo of an elder's home is not for the
    neighbours who may read the finished wish). Shown inline as an image (its type fixed by the
    stored name, never sniffed), or saved with `?download=1`."""
    from schemas.tables import ServiceRecord

    record = db().scalar(select(ServiceRecord).where(ServiceRecord.proof == key)) if is_storage_key(key) else None
    if record is None:
        abort(404)
    d = visibility.visible_demand(db(), actor(), record.demand_id)
    if d is None or not privacy.sees_personal_data(actor(), d.community.path, [d.requester_id, record.user_id],
                                                   holder_org=d.org_id):
        abort(404)
    found = storage().open(key)  # read only for who may see it
    if found is None:
        abort(404)
    if request.args.get("download") == "1":
        return send_file(found, as_attachment=True, download_name=key, max_age=0)
    response = send_file(found, mimetype=TYPES[key.rsplit(".", 1)[1]], max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
