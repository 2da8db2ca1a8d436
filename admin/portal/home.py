"""The home page: the programme's communities, by district."""
from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from admin.database import db
from admin.portal import bp
from flows.people.regions import district_id
from schemas.tables import Region, RegionLevel


@bp.get("/")
def index():
    """List every community under its district, so a visitor finds their own."""
    regions = db().scalars(select(Region).order_by(Region.path)).all()
    by_id = {r.id: r for r in regions}
    districts: dict[int, list[Region]] = {}
    for region in regions:
        district = district_id(region.path)
        if region.level is RegionLevel.COMMUNITY and district is not None:
            districts.setdefault(district, []).append(region)
    groups = [(by_id[d], cs) for d, cs in districts.items()]
    return render_template("home.html", groups=groups, streets=by_id)


@bp.get("/healthz")
def healthz():
    """Liveness for process managers and benchmarks: no database work."""
    return {"ok": True}
