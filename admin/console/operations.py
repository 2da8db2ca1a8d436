"""What runs: demands (bulk steps read from the workflows), participants (attendance confirmed
for them), orders, point adjustments awaiting a second admin, and the audit trail."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_admin.actions import action
from flask_admin.babel import gettext as admin_gettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select

from admin.auth import actor
from admin.console import labels, names
from admin.console.filters import ConsoleFilterConverter, RegionNameFilter
from admin.console.secure import SecuredModelView, audit_value, highest_role
from admin.database import db
from admin.params import to_id
from admin.security import redirects
from flows import engine
from flows.core.refusals import Refused
from flows.engine import bulk
from flows.points import shop
from schemas.tables import AuditLog, Claim, Demand, PointAdjustment, Role, RoleGrant


class _StepActions(SecuredModelView):
    """Bulk actions that are workflow steps, offered as the workflows say (read per request);
    an action's name is its step's name. These views declare no actions of their own (and
    may not delete), so a step's name cannot be mistaken for one."""

    def bulk_steps(self) -> list[bulk.BulkStep]:
        raise NotImplementedError

    def get_actions_list(self):
        actions, confirmations = super().get_actions_list()
        for step in self.bulk_steps():
            actions.append((step.name, step.title))
            confirmations[step.name] = _("对所选记录执行“%(step)s”？", step=step.title)
        return actions, confirmations

    def handle_action(self, return_view=None):
        step = request.form.get("action", "")
        if step not in {s.name for s in self.bulk_steps()}:
            return super().handle_action(return_view)
        form = self.action_form()
        if not self.validate_form(form):
            flash(admin_gettext("Failed to perform action. %(error)s", error=_("表单已过期，请刷新后重试")), "error")
        else:
            self.run_step(request.form.getlist("rowid"), step)
        return redirect(redirects.local_or(request.values.get("url"), self.get_url(".index_view")))

    def run_step(self, ids: list[str], step: str) -> None:
        raise NotImplementedError


class DemandView(_StepActions):
    """Demands are changed only through the engine: read here, act with bulk steps."""

    region_key = "community_id"
    filter_converter = ConsoleFilterConverter()
    creatable = editable = deletable = False
    column_list = ["id", "title", "task_type_id", "workflow_id", "workflow_version", "state", "community_id", "taken",
                   "capacity", "created_at"]
    # read-only, so no form to add to the list: 详情 names what the portal's page shows
    column_details_list = ["id", "title", "task_type_id", "workflow_id", "workflow_version", "state", "community_id",
                           "requester_id", "org_id", "starts_at", "ends_at", "place", "description", "taken",
                           "capacity", "created_at"]
    column_display_pk = True
    column_searchable_list = ["title"]
    column_filters = ["workflow_id", "state", RegionNameFilter(Demand.community_id, _l("社区"))]
    column_default_sort = ("id", True)
    # the title opens the demand's own page in the portal, where its steps are (社区取消 of a
    # booking whose slot the admin wanted to move, one the 待办 does not list)
    column_formatters = {"state": lambda v, c, m, n: _state_title(m),
                         "title": lambda v, c, m, n: Markup('<a href="{}">{}</a>').format(
                             url_for("portal.demand", demand_id=m.id), m.title)}

    def __init__(self, model, session, **kwargs):
        super().__init__(model, session, **kwargs)
        # an export keeps the title as text, not the link; the details page the link too
        self.column_formatters_export = {k: v for k, v in self.column_formatters.items() if k != "title"}

    def bulk_steps(self):
        return bulk.admin_steps(self.session)

    def run_step(self, ids, step):
        self.for_each_row(ids, lambda row: engine.act(db(), actor(), row.id, step, {}),
                          _l("已完成 %(n)s 条"), _l("；未执行：%(list)s"))


def _state_title(demand: Demand) -> str:
    from flows.workflow import registry

    try:
        return registry.load(db(), demand.workflow_id, demand.workflow_version, demand.workflow_hash).state_title(
            demand.state)
    except registry.UnknownWorkflow:
        return demand.state


class ParticipantView(_StepActions):
    """Who claimed or signed up for what: confirm attendance of many at once (through the engine)."""

    filter_converter = ConsoleFilterConverter()
    creatable = editable = deletable = False
    column_list = ["id", "demand_id", "user_id", "org_id", "step", "status", "created_at"]
    column_display_pk = True
    column_filters = ["status"]
    column_default_sort = ("id", True)
    column_formatters = {"step": lambda v, c, m, n: _step_title(m)}

    def _scope(self, query):
        demands = select(Demand.id).where(Demand.community_id.in_(self._allowed_regions()))
        return query.filter(Claim.demand_id.in_(demands))

    def bulk_steps(self):
        return bulk.confirm_steps(self.session)

    def run_step(self, ids, step):
        def confirm(claim: Claim) -> None:
            if claim.user_id is None:  # an organisation's grab: nobody to sign in
                raise Refused("attendance.no_person")
            engine.act(db(), actor(), claim.demand_id, step, {}, on_behalf_of=claim.user_id)

        self.for_each_row(ids, confirm, _l("已确认 %(n)s 人"), _l("；未确认：%(list)s"))


def _step_title(claim: Claim) -> str:
    from flows.workflow import registry

    demand = db().get(Demand, claim.demand_id)
    if demand is None:
        return claim.step
    workflow = registry.load(db(), demand.workflow_id, demand.workflow_version, demand.workflow_hash)
    spec = workflow.step(claim.step)
    return spec.title if spec is not None else claim.step


class OrderView(SecuredModelView):
    region_key = "community_id"
    filter_converter = ConsoleFilterConverter()
    creatable = editable = deletable = False
    column_list = ["id", "item_name", "user_id", "quantity", "points", "status", "pickup_code", "created_at",
                   "expires_at"]
    column_display_pk = True
    column_filters = ["status"]
    column_default_sort = ("id", True)


class AdjustmentView(SecuredModelView):
    """Manual adjustments above the city's threshold, waiting for a second admin: approve or
    reject them here (never one's own request, never for one's own account)."""

    filter_converter = ConsoleFilterConverter()
    creatable = editable = deletable = False
    column_list = ["id", "user_id", "amount", "reason", "requested_by", "status", "created_at", "decided_by"]
    column_display_pk = True
    column_filters = ["status"]
    column_default_sort = ("id", True)

    def _scope(self, query):
        people = select(RoleGrant.user_id).where(RoleGrant.region_id.in_(self._allowed_regions()))
        return query.filter(PointAdjustment.user_id.in_(people))

    def _decide(self, ids, approve: bool) -> None:
        self.for_each_row(ids, lambda row: shop.decide_adjustment(db(), actor(), row.id, approve),
                          _l("已处理 %(n)s 条"), _l("；未处理：%(list)s"))

    @action("approve", _l("批准"), _l("批准所选积分调整？批准后积分立即到账。"))
    def action_approve(self, ids):
        self._decide(ids, True)

    @action("reject", _l("驳回"), _l("驳回所选积分调整？"))
    def action_reject(self, ids):
        self._decide(ids, False)


def _changes(view, context, model, name) -> Markup:
    """Each changed field by its label, an id by the name of what it names (人员：史小明（m0054））."""
    value = getattr(model, name) or {}
    if not isinstance(value, dict):
        return Markup(escape(str(value)))
    return Markup("<br>".join(f"{escape(str(labels.COLUMNS.get(k, k)))}：{escape(names.of(view, k, v) or audit_value(v))}"
                              for k, v in value.items()))


# The audit trail's rows by what lists call them: a person's points account (`user:138`) and a
# user by the person's name, a row of these tables by its name; any other by its number.
_ROW_NAMES = {"users": "user_id", "shop_items": "item_id", "task_types": "task_type_id", "organisations": "org_id",
              "appointment_services": "service_id", "directory_entries": "entry_id", "members": "member_id",
              "resources": "resource_id", "resource_hours": "resource_id", "resource_closures": "resource_id"}


def _row(view, context, model, name) -> str:
    row = model.row_id or ""
    column = _ROW_NAMES.get(model.table_name)
    if model.table_name == "accounts" and row.startswith("user:"):
        column, row = "user_id", row.removeprefix("user:")
    named = names.of(view, column, to_id(row)) if column else None
    return named or (f"#{row}" if row else "")


class AuditLogView(SecuredModelView):
    """Who changed what, before and after. City admins see all; others their own changes (each
    row's own history is on its page, for everyone who may see the row)."""

    creatable = editable = deletable = False
    column_list = ["at", "actor_id", "action", "table_name", "row_id", "before", "after", "reason"]
    column_filters = ["table_name", "action"]
    column_default_sort = ("id", True)
    column_formatters = {
        "before": _changes, "after": _changes,
        "action": lambda v, c, m, n: str(labels.ACTIONS.get(m.action, m.action)),
        "table_name": lambda v, c, m, n: str(labels.TABLES.get(m.table_name, m.table_name)),
        "row_id": _row,
    }
    # an export keeps the stored values (a name below the district is masked by column, and
    # these columns are not read as names)
    column_formatters_export_extra = {"before": lambda v, c, m, n: str(m.before or ""),
                                      "after": lambda v, c, m, n: str(m.after or ""),
                                      "row_id": lambda v, c, m, n: m.row_id or ""}

    def __init__(self, model, session, **kwargs):
        super().__init__(model, session, **kwargs)
        self.column_formatters_export = {**self.column_formatters, **self.column_formatters_export_extra}

    def _scope(self, query):
        if highest_role() is Role.CITY_ADMIN:
            return query
        return query.filter(AuditLog.actor_id == actor().user_id)


__all__ = ["AdjustmentView", "AuditLogView", "DemandView", "OrderView", "ParticipantView"]
