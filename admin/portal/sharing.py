"""Resource sharing (资源共享): search and suggestions, a resource's page with its calendar and
request form, and the owner's 我的资源 (keep resources, answer requests on the demand page)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from admin.auth import actor
from admin.database import db
from admin.i18n import field_errors, flash_refusal
from admin.params import BadParam, arg_int, form_int, search_arg, to_id
from admin.portal import bp
from admin.portal.common import flash_outcome, lang, new_request_key, posted_request_key, storage
from admin.portal.nav import nav
from flows.core.refusals import Refused
from flows.core.storage import StorageRefused
from flows.engine import resource_requests as requests
from flows.engine import visibility
from flows.sharing import calendar, matching, reads, resources
from flows.workflow import registry
from schemas.clock import LOCAL_TZ, utcnow
from schemas.tables import Organisation, Region, Resource, ResourceKind

KINDS = [(k.value, matching.KIND_TITLES[k]) for k in ResourceKind]
MAX_PHOTO = 5 * 1024 * 1024


def org_names() -> dict[int, str]:
    """The names of the organisations I administer."""
    return {o: org.name for o in actor().org_admin_of if (org := db().get(Organisation, o)) is not None}


def _local(text: str | None) -> datetime | None:
    """A datetime-local field ('2026-12-03T14:00') as Beijing time; None when empty or wrong."""
    try:
        at = datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ) if text else None
        if at is not None:
            at.astimezone(UTC)  # 0001-01-01T00:00 is before what UTC can hold: stored, it would overflow
        return at
    except (ValueError, OverflowError):
        return None


@bp.get("/resources")
@login_required
def resources_search():
    """Resources that fit a need, best first, each saying why it matched."""
    kind = request.args.get("kind") or None
    starts, ends = _local(request.args.get("starts_at")), _local(request.args.get("ends_at"))
    q = search_arg()
    capacity = arg_int("capacity", high=10000)
    found = matching.search(db(), actor(), kind=ResourceKind(kind) if kind in dict(KINDS) else None, q=q,
                            starts_at=starts, ends_at=ends, capacity=capacity)
    found_text = [(x, [m.render(lang()) for m in x.reasons]) for x in found]
    return render_template("resources.html", found=found_text, kinds=KINDS, kind=kind, q=q, capacity=capacity,
                           starts_at=request.args.get("starts_at", ""), ends_at=request.args.get("ends_at", ""))


@bp.get("/resources/suggestions")
@login_required
def resource_suggestions():
    """While an activity's 发布 form is filled in: the free resources for its time (and size),
    near its community, each with why — a fragment the form shows under its time fields
    (admin/static/suggest.js). The same matching as the activity's page once it exists."""
    starts, ends = _local(request.args.get("starts_at")), _local(request.args.get("ends_at"))
    if starts is None or ends is None or ends <= starts:
        return render_template("_resource_suggestions.html", found=[], asked=False)
    found = [(x, [m.render(lang()) for m in x.reasons])
             for x in matching.for_activity(db(), actor(), starts, ends, community_id=arg_int("community_id"),
                                            capacity=arg_int("capacity", high=10000))]
    return render_template("_resource_suggestions.html", found=found, asked=True,
                           starts_at=request.args.get("starts_at"), ends_at=request.args.get("ends_at"),
                           title=(request.args.get("title") or "")[:60])


@bp.get("/resources/<id:resource_id>")
@login_required
def resource(resource_id: int):
    """A resource: what it is, its rules and hours, the times already booked, the request form."""
    shared = db().get(Resource, resource_id)
    if shared is None or not shared.is_active:
        abort(404)
    return _resource_page(shared, request.args, {})


def _resource_page(shared: Resource, form, errors: dict[str, str]) -> str:
    # the activity a request is for, named by its title: reached from that activity's page (its
    # suggestions pass its id); no box asking a person for an internal number
    # or chosen from the activities the person organises in the resource's community
    for_id = to_id(form.get("for_demand"))
    for_activity = visibility.visible_demand(db(), actor(), for_id) if for_id is not None else None
    return render_template("resource.html", r=shared, community=reads.community_of(db(), shared),
                           for_activity=for_activity, for_id=for_id,
                           activities=requests.activities_for(db(), actor(), shared, utcnow()),
                           hours=calendar.hours_text(calendar.weekly_hours(db(), shared.id), lang()),
                           booked=reads.upcoming(db(), shared.id, utcnow()), kind=matching.KIND_TITLES[shared.kind],
                           # closed days ahead, said before the form rather than as its refusal
                           closed=calendar.closures(db(), shared.id, utcnow().astimezone(LOCAL_TZ).date(),
                                                    utcnow().astimezone(LOCAL_TZ).date() + timedelta(days=60)),
                           request_key=new_request_key(), form=form, errors=errors,
                           may_manage=resources.may_manage(db(), actor(), shared))


@bp.post("/resources/<id:resource_id>/request")
@login_required
def resource_request(resource_id: int):
    """Request a time of the resource: a demand of the resource request workflow, through the
    engine (the range is held at once; the owner answers on the demand's page)."""
    try:
        requests.request_type(db(), resource_id)
    except Refused:
        abort(404)
    try:
        outcome = requests.request(db(), actor(), resource_id, request.form, request_key=posted_request_key())
    except Refused as exc:
        # the form again with what was typed, each field's problem beside it (a refusal used to
        # send the person back to an empty form with "缺少必填项；缺少必填项；缺少必填项")
        shared = db().get(Resource, resource_id)
        if shared is None or not shared.is_active:
            abort(404)
        errors = field_errors(exc)
        if not errors:
            flash_refusal(exc)
        return _resource_page(shared, request.form, errors), 400 if errors else 409
    flash_outcome(outcome)
    return redirect(url_for("portal.demand", demand_id=outcome.demand_id))


@bp.get("/my/resources")
@login_required
def my_resources():
    """我的资源: the resources of the organisations I administer and, for a community admin,
    those the community shares itself; and their requests. Nobody else keeps resources: 404,
    as for every page of a role one does not have."""
    if not nav().resources:
        abort(404)
    return _my_resources_page(None, {})


def _my_resources_page(form, errors: dict[str, str]) -> str:
    """我的资源, with the 新增 form's typed values and problems when it was refused."""
    owned = resources.owned(db(), actor())
    places = [(p.org_id, p.community_id, p.name) for p in resources.places(db(), actor())]
    return render_template("my_resources.html", owned=owned, places=places, kinds=KINDS, orgs=org_names(),
                           requests=_received(reads.requests_for(db(), [r.id for r in owned])),
                           form=form, errors=errors)


def _received(rows) -> list[tuple[Any, Any, str, str, bool]]:
    """收到的申请 with each one's state, as its workflow names it: those still going on first,
    soonest first (one waits for an answer), then those over, latest first. A list in id order
    without states mixed the request waiting for 同意 with the done and the declined (the walk)."""
    out = []
    for booking, demand, name in rows:
        workflow = registry.load(db(), demand.workflow_id, demand.workflow_version, demand.workflow_hash)
        out.append((booking, demand, name, workflow.state_title(demand.state), workflow.is_terminal(demand.state)))
    going = sorted((r for r in out if not r[4]), key=lambda r: r[0].starts_at)
    over = sorted((r for r in out if r[4]), key=lambda r: r[0].starts_at, reverse=True)
    return going + over


@bp.post("/my/resources/new")
@login_required
def my_resource_new():
    """An organisation's admin lists a new resource in a community the organisation reported
    to; a community admin, one the community shares itself (no organisation)."""
    org_text, _sep, community_text = (request.form.get("place") or "").partition(":")
    org_id, community_id = to_id(org_text), to_id(community_text)
    if community_id is None or (org_id is None and org_text) or \
            (org_id, community_id) not in {(p.org_id, p.community_id) for p in resources.places(db(), actor())}:
        abort(404)
    try:
        made = resources.create(db(), actor(), org_id, community_id, {
            "name": (request.form.get("name") or "").strip(),
            "kind": request.form.get("kind") if request.form.get("kind") in dict(KINDS) else "room"})
    except Refused as exc:
        errors = field_errors(exc)
        if not errors:
            flash_refusal(exc)
        return _my_resources_page(request.form, errors), 400
    return redirect(url_for("portal.my_resource", resource_id=made.id))


@bp.route("/my/resources/<id:resource_id>", methods=["GET", "POST"])
@login_required
def my_resource(resource_id: int):
    """Keep one resource: what it says, its weekly hours, a closed day."""
    try:
        shared = resources.managed(db(), actor(), resource_id)
    except Refused:
        abort(404)
    if request.method == "POST":
        try:
            closed_day = _local((request.form.get("closed_day") or "")[:10] + "T00:00")
            if request.form.get("closed_day"):
                if closed_day is None:
                    raise ValueError("closed_day")
                resources.add_closure(db(), actor(), shared.id, closed_day.date(), request.form.get("closed_note"))
            else:
                values: dict[str, Any] = {k: (request.form.get(k) or "").strip() or None
                                          for k in ("name", "description", "location", "equipment", "rules")}
                values["kind"] = request.form.get("kind") if request.form.get("kind") in dict(KINDS) else shared.kind
                values["capacity"] = form_int("capacity", required=False, high=10000)
                upload = request.files.get("photo")
                if upload is not None and upload.filename:
                    values["photo"] = storage().save(upload.read(MAX_PHOTO + 1), max_bytes=MAX_PHOTO)
                resources.edit(db(), actor(), shared.id, values, request.form.get("hours", ""))
        except (Refused, StorageRefused, ValueError, BadParam) as exc:
            # Said beside the field, with what was typed kept: a redirect showed the stored
            # values again and the refusal in the banner, and what was typed was lost (the walk).
            db().rollback()
            errors = _edit_errors(exc)
            if not errors and isinstance(exc, Refused):
                flash_refusal(exc)
            return _my_resource_page(shared, request.form, errors), 400
        return redirect(url_for("portal.my_resource", resource_id=shared.id))
    return _my_resource_page(shared, None, {})


def _edit_errors(exc: Exception) -> dict[str, str]:
    """A refused edit's problems, each under the field it belongs to."""
    if isinstance(exc, StorageRefused):
        return {"photo": exc.message(lang())}
    if isinstance(exc, BadParam):
        return {"capacity": str(exc.description)}
    if isinstance(exc, ValueError):
        return {"closed_day": _("请选择日期")}
    if isinstance(exc, Refused):
        return field_errors(exc)
    return {}


def _my_resource_page(shared: Resource, form, errors: dict[str, str]) -> str:
    """我的资源's page for one resource: `form` (what was typed, when a save was refused) over
    what is stored, and each problem beside its field."""
    hours = "\n".join(calendar.hours_lines(calendar.weekly_hours(db(), shared.id), lang()))
    today = utcnow().astimezone(LOCAL_TZ).date()
    return render_template("my_resource.html", r=shared, kinds=KINDS, hours=hours, max_photo=MAX_PHOTO,
                           form=form, errors=errors, closed=calendar.closures(db(), shared.id, today,
                                                                              today.replace(year=9999)))


@bp.get("/communities/<id:community_id>/matrix")
@login_required
def service_matrix(community_id: int):
    """服务矩阵: the units and merchants around a community, what each shares and has done."""
    community = db().get(Region, community_id)
    if community is None:
        abort(404)
    return render_template("matrix.html", community=community, rows=reads.matrix(db(), community.id))
