"""Resource sharing (资源共享): search and suggestions, a resource's page with its calendar and
request form, and the owner's 我的资源 (keep resources, answer requests on the demand page)."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from admin.auth import actor
from admin.database import db
from admin.i18n import flash_refusal
from admin.params import arg_int, form_int, to_id
from admin.portal import bp
from admin.portal.common import flash_outcome, lang, new_request_key, posted_request_key, storage
from flows import engine
from flows.core.refusals import Refused
from flows.core.storage import StorageRefused
from flows.engine.menu import resource_task_type
from flows.people import regions
from flows.sharing import calendar, matching, reads, resources
from schemas.clock import LOCAL_TZ, utcnow
from schemas.tables import Organisation, Region, Resource, ResourceKind

KINDS = [(k.value, matching.KIND_TITLES[k]) for k in ResourceKind]
MAX_PHOTO = 5 * 1024 * 1024


def regions_named(ids: list[int]) -> list[tuple[int, str]]:
    """(id, name) of these regions, in order."""
    return [(r.id, r.name) for r in (db().get(Region, i) for i in ids) if r is not None]


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


def _home(a) -> tuple[float, float] | None:
    ids = regions.region_ids_of(db(), a)
    for region_id in sorted(ids):
        home = db().get(Region, region_id)
        if home is not None and home.lat is not None and home.lng is not None:
            return home.lat, home.lng
    return None


@bp.get("/resources")
@login_required
def resources_search():
    """Resources that fit a need, best first, each saying why it matched."""
    kind = request.args.get("kind") or None
    starts, ends = _local(request.args.get("starts_at")), _local(request.args.get("ends_at"))
    q = (request.args.get("q") or "").strip()[:30]
    capacity = arg_int("capacity", high=10000)
    found = matching.suggest(db(), kind=ResourceKind(kind) if kind in dict(KINDS) else None, q=q or None,
                             starts_at=starts, ends_at=ends, near=_home(actor()), capacity=capacity)
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
    community = db().get(Region, arg_int("community_id") or 0)
    near = (community.lat, community.lng) if community is not None and community.lat is not None \
        and community.lng is not None else _home(actor())
    district = "/".join(community.path.split("/")[:3]) + "/" if community is not None else None
    capacity = arg_int("capacity", high=10000)
    found = [(x, [m.render(lang()) for m in x.reasons])
             for x in matching.suggest(db(), starts_at=starts, ends_at=ends, near=near,
                                       capacity=capacity if capacity and capacity > 1 else None,
                                       district_path=district, limit=3) if x.free]
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
    return render_template("resource.html", r=shared, community=reads.community_of(db(), shared),
                           hours=calendar.hours_text(calendar.weekly_hours(db(), shared.id), lang()),
                           booked=reads.upcoming(db(), shared.id, utcnow()), kind=matching.KIND_TITLES[shared.kind],
                           request_key=new_request_key(), form=request.args,
                           may_manage=resources.may_manage(db(), actor(), shared))


@bp.post("/resources/<id:resource_id>/request")
@login_required
def resource_request(resource_id: int):
    """Request a time of the resource: a demand of the resource request workflow, through the
    engine (the range is held at once; the owner answers on the demand's page)."""
    shared = db().get(Resource, resource_id)
    community = reads.community_of(db(), shared) if shared is not None and shared.is_active else None
    if shared is None or community is None:
        abort(404)
    task_type = resource_task_type(db(), regions.district_id(community.path))
    if task_type is None:
        abort(404)
    data = {k: request.form[k] for k in ("title", "starts_at", "ends_at", "capacity", "for_demand", "note")
            if request.form.get(k)}
    try:
        outcome = engine.start(db(), actor(), task_type.id, data, resource_id=shared.id,
                               request_key=posted_request_key())
    except Refused as exc:
        flash_refusal(exc)
        return redirect(url_for("portal.resource", resource_id=shared.id))
    flash_outcome(outcome)
    return redirect(url_for("portal.demand", demand_id=outcome.demand_id))


@bp.get("/my/resources")
@login_required
def my_resources():
    """我的资源: the resources of the organisations I administer and, for a community admin,
    those the community shares itself; and their requests."""
    owned = resources.owned(db(), actor())
    places: list[tuple[int | None, int, str]] = [
        (org_id, community_id, name) for org_id in sorted(actor().org_admin_of)
        for community_id, name in regions_named(sorted(actor().org_communities.get(org_id, ())))]
    places += [(None, c.id, c.name) for c in regions.admin_communities(db(), actor())]
    return render_template("my_resources.html", owned=owned, places=places, kinds=KINDS, orgs=org_names(),
                           requests=reads.requests_for(db(), [r.id for r in owned]))


@bp.post("/my/resources/new")
@login_required
def my_resource_new():
    """An organisation's admin lists a new resource in a community the organisation reported
    to; a community admin, one the community shares itself (no organisation)."""
    org_text, _sep, community_text = (request.form.get("place") or "").partition(":")
    org_id, community_id = to_id(org_text), to_id(community_text)
    if community_id is None:
        abort(404)
    if org_id is None:
        if org_text or community_id not in {c.id for c in regions.admin_communities(db(), actor())}:
            abort(404)
    elif org_id not in actor().org_admin_of or community_id not in actor().org_communities.get(org_id, ()):
        abort(404)
    try:
        made = resources.create(db(), actor(), org_id, community_id, {
            "name": (request.form.get("name") or "").strip(),
            "kind": request.form.get("kind") if request.form.get("kind") in dict(KINDS) else "room"})
    except Refused as exc:
        flash_refusal(exc)
        return redirect(url_for("portal.my_resources"))
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
                calendar.parse_hours(request.form.get("hours", ""))  # refused before anything is saved
                values: dict[str, Any] = {k: (request.form.get(k) or "").strip() or None
                                          for k in ("name", "description", "location", "equipment", "rules")}
                values["kind"] = request.form.get("kind") if request.form.get("kind") in dict(KINDS) else shared.kind
                values["capacity"] = form_int("capacity", required=False, high=10000)
                upload = request.files.get("photo")
                if upload is not None and upload.filename:
                    values["photo"] = storage().save(upload.read(MAX_PHOTO + 1), max_bytes=MAX_PHOTO)
                resources.update(db(), actor(), shared.id, values)
                resources.set_hours(db(), actor(), shared.id, request.form.get("hours", ""))
        except (Refused, StorageRefused, ValueError) as exc:
            db().rollback()
            if isinstance(exc, Refused):
                flash_refusal(exc)
            elif isinstance(exc, StorageRefused):
                flash(exc.message(lang()), "error")
            return redirect(url_for("portal.my_resource", resource_id=shared.id))
        return redirect(url_for("portal.my_resource", resource_id=shared.id))
    hours = "\n".join(calendar.hours_lines(calendar.weekly_hours(db(), shared.id), lang()))
    return render_template("my_resource.html", r=shared, kinds=KINDS, hours=hours,
                           closed=calendar.closures(db(), shared.id, utcnow().astimezone(LOCAL_TZ).date(),
                                                    utcnow().astimezone(LOCAL_TZ).date().replace(year=9999)))


@bp.get("/communities/<id:community_id>/matrix")
@login_required
def service_matrix(community_id: int):
    """服务矩阵: the units and merchants around a community, what each shares and has done."""
    community = db().get(Region, community_id)
    if community is None:
        abort(404)
    return render_template("matrix.html", community=community, rows=reads.matrix(db(), community.id))
