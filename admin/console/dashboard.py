"""The console's home: the programme's figures per district and period, points issued and
redeemed, and the stuck demands with a link to each one's Prefect run."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import request
from flask_admin import AdminIndexView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from admin.console.secure import SecuredMixin, admin_paths
from admin.database import db
from flows.engine import monitor
from flows.reporting import stats
from schemas.settings import get_settings

PERIODS = {"month": (_l("本月"), 31), "quarter": (_l("近三个月"), 92), "year": (_l("近一年"), 366),
           "all": (_l("全部"), None)}


class DashboardView(SecuredMixin, AdminIndexView):
    @expose("/")
    def index(self):
        period = request.args.get("period") if request.args.get("period") in PERIODS else "all"
        days = PERIODS[period][1]
        since = datetime.now(UTC) - timedelta(days=days) if days else None
        paths = admin_paths()
        communities = stats.communities_under(db(), paths)
        totals = stats.figures(db(), [c.id for c in communities], since) if communities else {}
        districts = stats.by_district(db(), communities, since)
        peak = {key: max([f[key] for _, f in districts] + [1]) for key, _ in stats.FIGURES}
        stuck = monitor.overdue(db(), community_paths=paths, limit=50)
        figures = [(key, _(label)) for key, label in stats.FIGURES]
        return self.render("console/dashboard.html", totals=totals, districts=districts, figures=figures,
                           peak=peak, stuck=stuck, period=period, periods=PERIODS,
                           prefect=get_settings().prefect_ui_url)
