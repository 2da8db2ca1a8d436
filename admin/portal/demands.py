"""A demand's page, its step forms, starting new demands, sign-in QR codes and proof files."""
from __future__ import annotations

import segno
from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import login_required
from sqlalchemy import select

from admin.auth import actor
from admin.database import db
from admin.params import form_int
from admin.portal import bp
from admin.portal.common import lang, member_choices, read_step_form, storage
from flows import engine
from flows.catalogue import task_types
from flows.core.refusals import Refused
from flows.engine import history, visibility
from flows.people import regions
from flows.workflow import registry
from schemas.tables import Region, TaskType
from schemas.workflow import HumanStep


def _visible(demand_id: int):
    demand = visibility.visible_demand(db(), actor(), demand_id)
    if demand is None:
        abort(404)
    return demand, registry.load(db(), demand.workflow_id, demand.workflow_version, demand.workflow_hash)


@bp.get("/d/<id:demand_id>")
@login_required
def demand(demand_id: int):
    """State, timeline and the steps this person can take now."""
    d, workflow = _visible(demand_id)
    return render_template("demand.html", d=d, wf=workflow, steps=visibility.available_steps(db(), actor(), d),
                           timeline=history.timeline(db(), d.id), community=db().get(Region, d.community_id),
                           task_type=db().get(TaskType, d.task_type_id))


@bp.route("/d/<id:demand_id>/step/<step>", methods=["GET", "POST"])
@login_required
def step(demand_id: int, step: str):
    """The step's form, generated from its YAML spec; the engine decides and answers."""
    d, workflow = _visible(demand_id)
    spec = workflow.step(step)
    if not isinstance(spec, HumanStep):
        abort(404)
    errors: dict[str, str] = {}
    if request.method == "POST":
        values, errors = read_step_form(spec.form)
        if not errors:
            try:
                outcome = engine.act(db(), actor(), d.id, step, values)
            except Refused as exc:
                if not exc.fields:
                    flash(exc.message(lang()), "error")
                    return redirect(url_for("portal.demand", demand_id=d.id))
                errors = exc.fields_in(lang())
            else:
                flash(outcome.message(lang()), "success")
                return redirect(url_for("portal.demand", demand_id=d.id))
    members = member_choices(d.community_id) if any(f.type == "member" for f in spec.form.values()) else []
    return render_template("step.html", d=d, wf=workflow, name=step, spec=spec, errors=errors, form=request.form,
                           members=members), (400 if errors else 200)


@bp.route("/new/<code>", methods=["GET", "POST"])
@login_required
def start(code: str):
    """Post a micro-wish, create an activity or a volunteer item: the start step's form."""
    task_type = _task_type(code)
    if task_type is None:
        abort(404)
    _, workflow = registry.load_latest(db(), task_type.workflow_id)
    name, spec = next(iter(workflow.start_steps().items()))
    if spec.record == "booking":
        return redirect(url_for("portal.book"))
    communities = _start_communities(spec)
    errors: dict[str, str] = {}
    if request.method == "POST":
        values, errors = read_step_form(spec.form)
        if not errors:
            try:
                outcome = engine.start(db(), actor(), task_type.id, values,
                                       community_id=form_int("community_id", required=False) or 0)
            except Refused as exc:
                errors = exc.fields_in(lang()) or {"community_id": exc.message(lang())}
            else:
                flash(outcome.message(lang()), "success")
                return redirect(url_for("portal.demand", demand_id=outcome.demand_id))
    return render_template("start.html", task_type=task_type, spec=spec, name=name, errors=errors,
                           form=request.form, communities=communities), (400 if errors else 200)


def _task_type(code: str) -> TaskType | None:
    """`micro_wish` means this person's own district's micro-wish type, or the city-wide one
    when the district has none; never another district's type of the same code."""
    return task_types.resolve(db(), code, regions.districts_of(db(), actor()))


def _start_communities(spec) -> list[Region]:
    """Where this person may start this kind of demand."""
    if spec.by.role == "community_admin":
        return regions.admin_communities(db(), actor())
    ids = regions.region_ids_of(db(), actor())
    return list(db().scalars(select(Region).where(Region.id.in_(ids)).order_by(Region.path)))


@bp.get("/d/<id:demand_id>/qr.svg")
@login_required
def qr(demand_id: int):
    """The QR code a community prints: scanning it opens the sign-in step."""
    d, _ = _visible(demand_id)
    target = url_for("portal.step", demand_id=d.id, step="sign_in", _external=True)
    svg = segno.make(target, error="m").svg_inline(scale=6, title=f"签到 #{d.id}")
    return svg, 200, {"Content-Type": "image/svg+xml; charset=utf-8"}


@bp.get("/files/<key>")
@login_required
def file(key: str):
    """A proof photo, served as an attachment and never as a page, to those who may see its demand."""
    from schemas.tables import ServiceRecord

    path = storage().path(key)
    record = db().scalar(select(ServiceRecord).where(ServiceRecord.proof == key)) if path else None
    if record is None or visibility.visible_demand(db(), actor(), record.demand_id) is None:
        abort(404)
    return send_file(path, as_attachment=True, download_name=key, max_age=0)
