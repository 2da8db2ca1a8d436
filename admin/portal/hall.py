"""The task hall (任务大厅): demands open to me, filtered and sorted."""
from __future__ import annotations

from flask import render_template, request
from flask_login import login_required
from sqlalchemy import select

from admin.auth import actor
from admin.database import db
from admin.params import arg_int
from admin.portal import bp
from admin.portal.paging import requested
from flows.engine import hall as hall_reads
from flows.people import regions
from schemas.tables import Region, Skill

PER_PAGE = 20
WINDOW = 500  # the hall's rows read to page through, as the API's hall (admin/api/demands.py)


@bp.get("/hall")
@login_required
def hall():
    """Filter by community, type and skill; sort by time or by distance from my community."""
    me = actor()
    mine = regions.region_ids_of(db(), me)
    communities = db().scalars(select(Region).where(Region.id.in_(mine)).order_by(Region.path)).all()
    home = communities[0] if communities else None
    near = (home.lat, home.lng) if home is not None and home.lat is not None and home.lng is not None else None
    sort = "distance" if request.args.get("sort") == "distance" else "time"
    skill = request.args.get("skill") or None
    page = requested("page", PER_PAGE)
    rows, page = page.window(hall_reads.hall(
        db(), me, community_id=arg_int("community"), task_type_id=arg_int("type"), skill=skill, sort=sort, near=near,
        limit=min(WINDOW, page.wanted)))
    filtered = any(request.args.get(k) for k in ("community", "type", "skill"))
    return render_template("hall.html", rows=rows, page=page, communities=communities, sort=sort, filtered=filtered,
                           types=hall_reads.hall_types(db(), me),
                           skills=db().scalars(select(Skill).order_by(Skill.id)).all(), args=request.args)
