"""The home page: the programme's communities, by district."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from admin.auth import actor
from admin.database import db
from admin.portal import bp
from flows.engine.startable import startable
from schemas.tables import Region, RegionLevel, Role


@bp.get("/")
def index():
    """List every community under its district, so a visitor finds their own."""
    regions = db().scalars(select(Region).order_by(Region.path)).all()
    by_id = {r.id: r for r in regions}
    districts: dict[int, list[Region]] = {}
    for region in regions:
        if region.level is RegionLevel.COMMUNITY:
            district_id = int(region.path.strip("/").split("/")[1])
            districts.setdefault(district_id, []).append(region)
    groups = [(by_id[d], cs) for d, cs in districts.items()]
    me = actor() if current_user.is_authenticated else None
    return render_template("home.html", groups=groups, streets=by_id,
                           can_start=startable(db(), me) if me else [],
                           reports_in=bool(me and (me.has_role(Role.MEMBER) or me.org_admin_of)))


@bp.get("/healthz")
def healthz():
    """Liveness for process managers and benchmarks: no database work."""
    return {"ok": True}
