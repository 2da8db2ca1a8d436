"""An admin's work queue (待办) and the attendance sheet where participants are signed in
and out for them; both read from the workflows (flows.engine.queue, flows.engine.attendance)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from admin.auth import actor
from admin.database import db
from admin.i18n import refusal_text
from admin.params import arg_int, form_int
from admin.portal import bp
from admin.portal.common import lang
from admin.portal.paging import requested
from flows.core.refusals import Refused
from flows.engine import attendance as attendance_reads
from flows.engine import monitor
from flows.engine import queue as queue_reads
from flows.people import accounts
from flows.points import reads as points_reads
from schemas.clock import utcnow

PER_PAGE = 20


@bp.get("/queue")
@login_required
def queue():
    """What waits on me, across the communities I govern (or one of them), oldest first."""
    me = actor()
    governed = queue_reads.scope(db(), me)
    if not governed:
        abort(404)
    community_id = arg_int("community")
    communities = queue_reads.scope(db(), me, community_id) if community_id else governed
    if not communities:
        abort(404)
    page = requested("page", PER_PAGE)
    rows, total = queue_reads.waiting(db(), me, community_id=community_id, page=page.number, per_page=PER_PAGE)
    sheets_page = requested("sheets_page", PER_PAGE)
    sheets, sheets_total = queue_reads.attendance(db(), me, community_id=community_id, limit=PER_PAGE,
                                                  offset=sheets_page.offset)
    registrations_page = requested("registrations_page", PER_PAGE)
    registrations = [r for r in accounts.pending(db(), me) if getattr(r[1], "community_id", None) in communities]
    orders_page = requested("orders_page", PER_PAGE)
    orders, orders_total = points_reads.reserved_orders(db(), list(communities), limit=PER_PAGE,
                                                        offset=orders_page.offset)
    # the same reads, over the same regions, as the console's 超时未处理: one figure in both
    paths = [communities[community_id].path] if community_id else me.admin_paths()
    overdue_page = requested("overdue_page", PER_PAGE)
    overdue_total = monitor.count_overdue(db(), community_paths=paths)
    overdue = monitor.overdue(db(), community_paths=paths, limit=PER_PAGE, offset=overdue_page.offset)
    return render_template("queue.html", rows=rows, total=total, page=page.of(total),
                           sheets=sheets, sheets_total=sheets_total, sheets_page=sheets_page.of(sheets_total),
                           registrations=registrations[registrations_page.offset:][:PER_PAGE],
                           registrations_total=len(registrations),
                           registrations_page=registrations_page.of(len(registrations)),
                           orders=orders, orders_total=orders_total, orders_page=orders_page.of(orders_total),
                           overdue=overdue, overdue_total=overdue_total, overdue_page=overdue_page.of(overdue_total),
                           governed=sorted(governed.values(), key=lambda c: c.path), community_id=community_id)


@bp.route("/d/<id:demand_id>/attendance", methods=["GET", "POST"])
@login_required
def attendance(demand_id: int):
    """The sign-in sheet: confirm a participant's sign-in or sign-out for them, through the engine."""
    me = actor()
    found = attendance_reads.sheet(db(), me, demand_id)
    if found is None:
        abort(404)
    d, workflow, steps, people = found.demand, found.workflow, found.steps, found.people
    if request.method == "POST":
        step, user_id = request.form.get("step", ""), form_int("user_id")
        name = next((p.name for p in people if p.user_id == user_id), None)
        if name is None:
            abort(404)  # not a participant of this demand
        try:
            outcome = attendance_reads.confirm(db(), me, found, step, user_id)
        except Refused as exc:
            flash(_("%(name)s：%(message)s", name=name, message=refusal_text(exc)), "error")
        else:
            flash(_("%(name)s：%(message)s", name=name, message=outcome.message(lang())), "success")
        return redirect(url_for("portal.attendance", demand_id=d.id))
    now = utcnow()
    waits = {name: opens for name, step in steps.items()  # a step the sheet may not confirm yet: said when
             if (opens := attendance_reads.vouch_opens(d, step)) is not None and now < opens}
    return render_template("attendance.html", d=d, wf=workflow, steps=steps, people=people, waits=waits,
                           open_for=lambda p, step: attendance_reads.open_for(p, step, d, now))
