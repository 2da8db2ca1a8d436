"""The 发布 menu (every task type this person may start, from the published workflows) and 代办:
a community admin picks or registers the resident a wish is posted for."""
from __future__ import annotations

import uuid
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from admin.auth import actor
from admin.database import db
from admin.i18n import field_errors, refusal_text
from admin.params import arg_int, form_int, search_arg
from admin.portal import bp
from admin.portal.nav import nav
from flows.core.refusals import Refused
from flows.engine.menu import Startable
from flows.people import behalf
from schemas.tables import Role, TaskType


@bp.get("/publish")
@login_required
def publish():
    """What I may start, and what I may start for a resident (代办)."""
    entries = nav().starts
    if not entries:
        abort(404)
    return render_template("publish.html", own=[e for e in entries if not e.on_behalf],
                           behalf=[e for e in entries if e.on_behalf])


@bp.route("/publish/<id:task_type_id>/for", methods=["GET", "POST"])
@login_required
def behalf_pick(task_type_id: int):
    """代办, first step: find the resident (by name) or register one who has no phone."""
    entry = _behalf_entry(task_type_id)
    community_ids = [c for c, _ in entry.communities]
    errors: dict[str, str] = {}
    if request.method == "POST":
        if entry.for_role != Role.RESIDENT.value:
            abort(404)  # only residents are registered here; members sign up and report in
        try:
            user = behalf.register_resident(
                db(), actor(), form_int("community_id", required=False) or 0, request.form.get("display_name", ""),
                phone=request.form.get("phone"), password=request.form.get("password") or None,
                request_key=request.form.get("request_key", ""))
        except Refused as exc:
            errors = field_errors(exc) or {"display_name": refusal_text(exc)}
        else:
            # the account's name, which the resident (or the counter, to set a password) needs later
            flash(_("已登记居民 %(name)s，登录用户名 %(username)s（设置密码后本人可以登录）", name=user.display_name,
                    username=user.username), "success")
            target: dict[str, Any] = {"code": entry.code, "for": user.id}  # `for` is a keyword
            return redirect(url_for("portal.start", **target))
    q = search_arg()
    people = behalf.people(db(), actor(), entry.for_role or "", community_ids, q=q)
    return render_template("behalf.html", entry=entry, people=people, q=q, errors=errors, form=request.form,
                           request_key=uuid.uuid4().hex), (400 if errors else 200)


def _behalf_entry(task_type_id: int) -> Startable:
    entry = next((e for e in nav().starts if e.on_behalf and e.task_type_id == task_type_id), None)
    if entry is None:
        abort(404)
    return entry


def start_entry(task_type: TaskType) -> tuple[Startable, behalf.Person | None]:
    """The menu entry a start form serves, and the person it is for (代办, `?for=<user>`).

    Someone who may start this task type only for others is sent to pick the person first;
    someone who may not start it at all gets a 404, as for a URL that does not exist.
    """
    raw = request.values.get("for")
    entries = [e for e in nav().starts if e.task_type_id == task_type.id]
    if raw is None:
        own = next((e for e in entries if not e.on_behalf), None)
        if own is not None:
            return own, None
        if any(e.on_behalf for e in entries):
            abort(redirect(url_for("portal.behalf_pick", task_type_id=task_type.id)))
        abort(404)
    user_id = arg_int("for") if request.method == "GET" else form_int("for")
    entry = next((e for e in entries if e.on_behalf), None)
    person = behalf.person(db(), actor(), user_id or 0, entry.for_role or "") if entry else None
    if entry is None or person is None or person.community_id not in {c for c, _ in entry.communities}:
        abort(404)
    return entry, person

