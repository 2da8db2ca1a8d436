"""Shared resources in the console: community and district admins list and keep the resources
of their communities (scoped by `community_id`, audited, exportable like every model view), and
the resource use per district and period (资源使用)."""
from __future__ import annotations

import io
from datetime import timedelta

from flask import request, send_file
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.validators import NumberRange, Optional

from admin.console import choices
from admin.console.dashboard import PERIODS
from admin.console.fields import ChoiceIdField, TextAreaField
from admin.console.secure import SecuredMixin, SecuredModelView, admin_paths
from admin.database import db
from flows.engine.menu import resource_states
from flows.people import regions
from flows.sharing import bookings as resource_bookings
from flows.sharing import usage
from schemas.clock import utcnow
from schemas.tables import RegionLevel


class ResourceView(SecuredModelView):
    """Rooms, equipment, vehicles and services that units, merchants and communities share; the
    owner (an organisation, or with none the community's admins) keeps them from the portal
    (我的资源) too."""

    region_key = "community_id"
    column_list = ["name", "kind", "community_id", "org_id", "capacity", "is_active"]
    column_searchable_list = ["name", "location"]
    column_filters = ["kind", "is_active"]
    form_columns = ["name", "kind", "community_id", "org_id", "directory_entry_id", "location", "lat", "lng",
                    "capacity", "equipment", "rules", "description", "is_active"]
    form_overrides = {"description": TextAreaField, "rules": TextAreaField}
    form_args = {"capacity": {"validators": [Optional(), NumberRange(1, 10000)]},
                 "lat": {"validators": [Optional(), NumberRange(-90, 90)]},
                 "lng": {"validators": [Optional(), NumberRange(-180, 180)]}}
    form_extra_fields = {
        "community_id": ChoiceIdField(_l("社区"), choices=choices.regions(RegionLevel.COMMUNITY)),
        # blank: the community itself shares it, and its admins answer the requests
        "org_id": ChoiceIdField(_l("所属党组织"), choices=choices.organisations, allow_blank=True),
        "directory_entry_id": ChoiceIdField(_l("企业商户"), choices=choices.entries, allow_blank=True),
    }
    # Who answers its requests and where they are made: moving it under live bookings handed
    # requests made to one owner to another and left them in the old community, unannounced.
    held_columns = ("community_id", "org_id")
    held_message = _l("这项资源还有 %(n)s 个未结束的申请或预约，不能改社区或所属党组织：它们是向原来的一方提出的。"
                      "请等这些预约过后，或由资源方在“我的资源”（社区自己的资源在“社区资源”）里处理完这些申请再改")

    def live_uses(self, model) -> int:
        return resource_bookings.live(self.session, model.id, utcnow())


class ResourceUseView(SecuredMixin, BaseView):
    """资源使用: requests, approvals and hours of use per district and period, as a table and as
    an xlsx file; an admin sees the districts of the communities they govern."""

    def _rows(self):
        period = request.args.get("period", "all")
        period = period if period in PERIODS else "all"
        days = PERIODS[period][1]
        since = utcnow() - timedelta(days=days) if days else None
        communities = regions.communities_under(db(), admin_paths())
        waiting, done = resource_states(db())
        rows = usage.usage(db(), [c.id for c in communities], waiting=waiting, done=done, since=since)
        return period, rows

    @expose("/")
    def index(self):
        period, rows = self._rows()
        return self.render("console/resource_use.html", rows=rows, period=period, periods=PERIODS)

    @expose("/export.xlsx")
    def export(self):
        from openpyxl import Workbook

        period, rows = self._rows()
        book = Workbook()
        sheet = book.active
        sheet.append([_("区县"), _("申请次数"), _("同意次数"), _("使用小时")])
        for row in rows:
            sheet.append([row.district.name, row.requests, row.approved, round(row.hours, 1)])
        out = io.BytesIO()
        book.save(out)
        out.seek(0)
        return send_file(out, as_attachment=True, download_name=f"resource_use_{period}.xlsx",
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
