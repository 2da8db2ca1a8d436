"""The console's home: the programme's figures per district and period, points issued and
redeemed, the stuck demands with a link to each one's Prefect run, and the messages that could
not be delivered."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

from flask import request
from flask_admin import AdminIndexView, expose
from flask_babel import lazy_gettext as _l

from admin.auth import actor
from admin.console.secure import SecuredMixin, admin_paths
from admin.database import db
from admin.i18n import lang
from admin.params import arg_int
from flows.core.i18n import translate
from flows.engine import monitor
from flows.notices import categories, reads
from flows.orchestration import naming
from flows.people import regions
from flows.reporting import stats
from schemas.clock import utcnow
from schemas.settings import get_settings
from schemas.tables import Role

STUCK_PAGE = 50
# What an SLA does when it runs out (the workflow's `then:`), as the stuck list says it.
POLICIES = {"escalate": _l("提醒负责人"), "cancel": _l("超时取消"), "complete_with": _l("按默认值自动完成")}
PERIODS = {"month": (_l("本月"), 31), "quarter": (_l("近三个月"), 92), "year": (_l("近一年"), 366),
           "all": (_l("全部"), None)}


def _prefect_reachable() -> bool:
    """The Prefect UI is the operators' (city and district admins), and its links are shown only
    where they lead somewhere: a UI at a loopback address (the default, 127.0.0.1:4200) answers
    only a browser on the server itself, so an admin on a phone would get dead links."""
    if not (actor().has_role(Role.CITY_ADMIN) or actor().has_role(Role.DISTRICT_ADMIN)):
        return False
    loopback = {"127.0.0.1", "localhost", "::1"}
    ui_host = urlparse(get_settings().prefect_ui_url).hostname
    return ui_host not in loopback or (urlparse(request.host_url).hostname or "") in loopback


class DashboardView(SecuredMixin, AdminIndexView):
    @expose("/")
    def index(self):
        period = request.args.get("period", "all")
        period = period if period in PERIODS else "all"
        days = PERIODS[period][1]
        since = utcnow() - timedelta(days=days) if days else None
        paths = admin_paths()
        communities = regions.communities_under(db(), paths)
        totals = stats.figures(db(), [c.id for c in communities], since) if communities else {}
        districts = stats.by_area(db(), communities, paths, since)
        peak = {key: max([f[key] for _, f in districts] + [1]) for key, _ in stats.FIGURES}
        figures = [(key, translate(label, lang())) for key, label in stats.FIGURES]
        return self.render("console/dashboard.html", totals=totals, districts=districts, figures=figures,
                           peak=peak, period=period, periods=PERIODS, **self._stuck(paths))

    @staticmethod
    def _stuck(paths: list[str]) -> dict:
        """The stuck list, complete and paged, and where to find it in the Prefect UI."""
        page = arg_int("stuck_page", low=1, high=100_000) or 1
        total = monitor.count_overdue(db(), community_paths=paths)
        stuck = monitor.overdue(db(), community_paths=paths, limit=STUCK_PAGE, offset=(page - 1) * STUCK_PAGE)
        mine = [] if regions.may_publish_for(actor(), None) else regions.admin_districts(db(), actor())
        views: list[tuple[str | None, str, str]] = [
            (d.name, naming.ui_overdue_runs_url(d.id), naming.ui_stuck_artifact_url(d.id)) for d in mine]
        views = views or [(None, naming.ui_overdue_runs_url(None), naming.ui_stuck_artifact_url(None))]
        failed_total, failed = reads.failures(db(), paths)
        views = views if _prefect_reachable() else []
        return {"failed": failed, "failed_total": failed_total, "channels": categories.CHANNELS,
                "stuck": stuck, "stuck_total": total, "stuck_page": page, "stuck_pages": max(1, -(-total // STUCK_PAGE)),
                "prefect_views": views, "run_url": naming.ui_demand_runs_url, "locale": lang(), "policies": POLICIES}
