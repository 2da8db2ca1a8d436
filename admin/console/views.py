"""The catalogues districts edit without code, each scoped and audited by SecuredModelView."""
from __future__ import annotations

from flask import flash
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from sqlalchemy import select
from wtforms import SelectField
from wtforms.validators import ValidationError

from admin.auth import actor
from admin.console.secure import SecuredModelView, admin_paths, highest_role
from admin.i18n import refusal_text
from admin.params import to_id
from flows import engine
from flows.core.refusals import Refused
from flows.people import accounts
from schemas.tables import (
    AppointmentService,
    AppointmentSlot,
    AuditLog,
    Claim,
    Demand,
    DirectoryEntry,
    DirectoryService,
    Member,
    MemberRegistration,
    Region,
    RegionLevel,
    Role,
)

LABELS = {
    "name": "名称", "code": "代码", "category": "类别", "default_points": "基础积分", "workflow_id": "工作流",
    "is_active": "启用", "description": "说明", "district_id": "区县", "community_id": "社区", "price": "积分价格",
    "stock": "库存", "limit_qty": "每人限兑", "limit_period": "限兑周期", "on_sale": "上架", "picture": "图片",
    "title": "标题", "summary": "摘要", "body": "正文", "published_at": "发布时间", "region_id": "地区",
    "kind": "类型", "address": "地址", "phone": "电话", "hours": "营业时间", "lat": "纬度", "lng": "经度",
    "work_unit": "工作单位", "contact_name": "联系人", "contact_phone": "联系电话", "availability": "可服务时间",
    "skills": "技能", "status": "状态", "state": "状态", "created_at": "创建时间", "capacity": "容量",
    "starts_at": "开始", "ends_at": "结束", "booked": "已约", "taken": "已认领", "points": "积分",
    "pickup_code": "取货码", "quantity": "数量", "action": "操作", "table_name": "表", "row_id": "记录",
    "before": "修改前", "after": "修改后", "at": "时间", "actor_id": "操作人", "reason": "原因", "bio": "简介",
    "user.display_name": "姓名", "org_id": "党组织", "member_id": "党员", "entry_id": "商户", "service_id": "服务",
    "task_type_id": "任务类型", "workflow_version": "版本", "requester_id": "发起人", "place": "地点",
}


def region_choices(level: RegionLevel, allow_none: bool = False) -> list[tuple[int | str, str]]:
    from sqlalchemy import or_

    from admin.database import db

    paths = admin_paths()
    rows = db().scalars(select(Region).where(Region.level == level, or_(*[Region.path.startswith(p) for p in paths]))
                        .order_by(Region.path))
    everywhere: list[tuple[int | str, str]] = [("", "（全市通用）")] if allow_none else []
    return everywhere + [(r.id, r.name) for r in rows]


class RegionSelectField(SelectField):
    """A region picker whose choices are the admin's own regions, filled per request."""

    def __init__(self, label=None, level=RegionLevel.COMMUNITY, allow_none=False, **kw):
        super().__init__(label, coerce=to_id, **kw)
        self.level, self.allow_none = level, allow_none

    def pre_validate(self, form):
        self.choices = region_choices(self.level, self.allow_none)
        if self.data is None and self.allow_none:
            return
        if self.data not in {value for value, _ in self.choices}:
            raise ValidationError("请选择您管辖范围内的地区")


class RegionScopedView(SecuredModelView):
    """A view whose rows belong to a region chosen in the form."""

    region_key = "community_id"
    region_level = RegionLevel.COMMUNITY
    column_labels = LABELS

    def scaffold_form(self):
        form = super().scaffold_form()
        setattr(form, self.region_key, RegionSelectField(LABELS.get(self.region_key, "地区"), self.region_level,
                                                           self.global_rows_readable))
        return form

    def _fill(self, form):
        getattr(form, self.region_key).choices = region_choices(self.region_level, self.global_rows_readable)
        return form

    def create_form(self, obj=None):
        return self._fill(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._fill(super().edit_form(obj))


class TaskTypeView(RegionScopedView):
    region_key = "district_id"
    region_level = RegionLevel.DISTRICT
    global_rows_readable = True
    column_list = ["name", "code", "category", "default_points", "workflow_id", "district_id", "is_active"]
    column_searchable_list = ["name", "code"]
    column_filters = ["category", "workflow_id", "is_active"]
    form_columns = ["name", "code", "category", "default_points", "workflow_id", "is_active", "description"]
    column_editable_list = ["default_points"]


class ShopItemView(RegionScopedView):
    region_key = "community_id"
    column_list = ["name", "community_id", "price", "stock", "limit_qty", "limit_period", "on_sale"]
    column_searchable_list = ["name"]
    column_filters = ["on_sale", "community_id"]
    form_columns = ["name", "description", "price", "stock", "limit_qty", "limit_period", "on_sale"]
    column_editable_list = ["price", "stock", "on_sale"]


class NewsPostView(RegionScopedView):
    region_key = "region_id"
    column_list = ["title", "region_id", "published_at"]
    column_searchable_list = ["title"]
    form_columns = ["title", "summary", "body", "published_at"]


class DirectoryEntryView(RegionScopedView):
    region_key = "community_id"
    column_list = ["name", "kind", "community_id", "address", "phone", "hours"]
    column_searchable_list = ["name", "address"]
    column_filters = ["kind"]
    form_columns = ["name", "kind", "address", "phone", "hours", "lat", "lng", "description"]


class DirectoryServiceView(SecuredModelView):
    column_labels = LABELS
    column_list = ["name", "category", "entry_id"]
    column_searchable_list = ["name", "category"]
    can_create = False

    def _scope(self, query):
        allowed = select(DirectoryEntry.id).where(DirectoryEntry.community_id.in_(self._allowed_regions()))
        return query.filter(DirectoryService.entry_id.in_(allowed))


class OrganisationView(RegionScopedView):
    region_key = "district_id"
    region_level = RegionLevel.DISTRICT
    column_list = ["name", "work_unit", "district_id", "contact_name", "contact_phone"]
    column_searchable_list = ["name", "work_unit"]
    form_columns = ["name", "work_unit", "contact_name", "contact_phone"]


class CommunityFilter(BaseSQLAFilter):
    """Members reported in to a community (by name)."""

    def apply(self, query, value, alias=None):
        return query.filter(Member.user_id.in_(
            select(MemberRegistration.member_id).join(Region, Region.id == MemberRegistration.community_id)
            .where(Region.name == value)))

    def operation(self):
        return "是"

    def get_options(self, view):
        return None  # typed by name: the choice list would differ per admin, Flask-Admin caches it per app


def org_choices() -> list[tuple[int | str, str]]:
    """Organisations of the admin's districts (a community admin: their community's district)."""
    from sqlalchemy import or_

    from admin.database import db
    from schemas.tables import Organisation

    paths = admin_paths()
    # A district inside a governed region, or the district a governed community lies in.
    own_district = ["/" + "/".join(p.strip("/").split("/")[:2]) + "/" for p in paths if p.count("/") > 2]
    districts = select(Region.id).where(Region.level == RegionLevel.DISTRICT, or_(
        *[Region.path.startswith(p) for p in paths], Region.path.in_(own_district)))
    rows = db().execute(select(Organisation.id, Organisation.name).where(Organisation.district_id.in_(districts))
                        .order_by(Organisation.name))
    return [("", "（无）"), *((org_id, name) for org_id, name in rows)]


class OrgSelectField(SelectField):
    """The member's organisation, chosen among those of the admin's districts (filled per request)."""

    def __init__(self, label=None, **kw):
        super().__init__(label, coerce=to_id, **kw)

    def pre_validate(self, form):
        self.choices = org_choices()
        if self.data is not None and self.data not in {value for value, _ in self.choices}:
            raise ValidationError("请选择您管辖范围内的党组织")


class MemberView(SecuredModelView):
    """The talent pool (人才资源库): filter by skill, community and availability; an admin links
    a member to their organisation here (its grabbed activities then reach the member's hall)."""

    column_labels = LABELS
    column_list = ["user.display_name", "work_unit", "availability", "skills"]
    column_searchable_list = ["work_unit"]
    column_filters = ["skills.name", "availability", CommunityFilter(Member.user_id, "居住社区")]
    form_columns = ["work_unit", "org_id", "availability", "skills", "bio"]
    form_extra_fields = {"org_id": OrgSelectField("党组织")}
    can_create = False

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        form.org_id.choices = org_choices()
        return form

    def _scope(self, query):
        members = select(MemberRegistration.member_id).where(
            MemberRegistration.community_id.in_(self._allowed_regions()))
        return query.filter(Member.user_id.in_(members))


class _RegistrationView(SecuredModelView):
    column_labels = LABELS
    can_create = can_edit = can_delete = False
    column_filters = ["status"]
    kind = "member"

    def _decide(self, ids, approve: bool):
        from admin.database import db

        done, refused = 0, []
        for registration_id in ids:
            row = self.get_one(registration_id)
            if row is None:
                refused.append(f"#{registration_id}：找不到")
                continue
            try:
                accounts.decide(db(), actor(), self.kind, row.id, approve)
                done += 1
            except Refused as exc:
                refused.append(f"#{registration_id}：{refusal_text(exc)}")
        flash(f"已处理 {done} 条" + (f"；未处理：{'；'.join(refused)}" if refused else ""),
              "success" if not refused else "warning")

    @action("approve", "通过报到", "确认通过所选报到？")
    def action_approve(self, ids):
        self._decide(ids, True)

    @action("reject", "退回报到", "确认退回所选报到？")
    def action_reject(self, ids):
        self._decide(ids, False)


class MemberRegistrationView(_RegistrationView):
    region_key = "community_id"
    column_list = ["member_id", "community_id", "status", "created_at"]


class OrgRegistrationView(_RegistrationView):
    region_key = "community_id"
    column_list = ["org_id", "community_id", "status", "created_at"]
    kind = "org"


class AppointmentServiceView(RegionScopedView):
    region_key = "community_id"
    column_list = ["name", "community_id", "task_type_id", "is_active"]
    form_columns = ["name", "description", "task_type_id", "is_active"]


class AppointmentSlotView(SecuredModelView):
    column_labels = LABELS
    column_list = ["service_id", "starts_at", "ends_at", "capacity", "booked"]
    form_columns = ["service_id", "starts_at", "ends_at", "capacity"]

    def _scope(self, query):
        services = select(AppointmentService.id).where(AppointmentService.community_id.in_(self._allowed_regions()))
        return query.filter(AppointmentSlot.service_id.in_(services))

    def _check_region(self, model):
        from wtforms.validators import ValidationError

        if model.service_id not in set(self.session.scalars(select(AppointmentService.id).where(
                AppointmentService.community_id.in_(self._allowed_regions())))):
            raise ValidationError("不能为您管辖范围以外的服务排班")


class DemandView(SecuredModelView):
    """Demands are changed only through the engine: read here, act with bulk steps."""

    region_key = "community_id"
    column_labels = LABELS
    can_create = can_edit = can_delete = False
    column_list = ["id", "title", "workflow_id", "workflow_version", "state", "community_id", "taken", "capacity",
                   "created_at"]
    column_searchable_list = ["title"]
    column_filters = ["workflow_id", "state", "community_id"]
    column_default_sort = ("id", True)

    def _bulk(self, ids, step: str):
        from admin.database import db

        done, refused = 0, []
        for demand_id in ids:
            row = self.get_one(demand_id)
            if row is None:
                refused.append(f"#{demand_id}：找不到")
                continue
            try:
                engine.act(db(), actor(), row.id, step, {})
                done += 1
            except Refused as exc:
                refused.append(f"#{demand_id}：{refusal_text(exc)}")
        flash(f"已完成 {done} 条" + (f"；未执行：{'；'.join(refused[:20])}" if refused else ""),
              "success" if not refused else "warning")

    @action("publish", "审核发布", "发布所选需求？")
    def action_publish(self, ids):
        self._bulk(ids, "publish")

    @action("begin", "开始活动", "开始所选活动？")
    def action_begin(self, ids):
        self._bulk(ids, "begin")

    @action("finish", "结束活动", "结束所选活动？")
    def action_finish(self, ids):
        self._bulk(ids, "finish")

    @action("settle", "结算积分", "结算所选志愿服务事项？")
    def action_settle(self, ids):
        self._bulk(ids, "settle")

    @action("reopen", "重新开放", "收回所选需求的认领并重新开放？")
    def action_reopen(self, ids):
        self._bulk(ids, "reopen")

    @action("cancel", "取消", "取消所选需求？")
    def action_cancel(self, ids):
        self._bulk(ids, "cancel")


class ParticipantView(SecuredModelView):
    """Who claimed or signed up for what: confirm attendance of many at once (through the engine)."""

    column_labels = {**LABELS, "demand_id": "需求", "user_id": "党员", "step": "方式"}
    can_create = can_edit = can_delete = False
    column_list = ["id", "demand_id", "user_id", "org_id", "step", "status", "created_at"]
    column_filters = ["demand_id", "status"]
    column_default_sort = ("id", True)

    def _scope(self, query):
        demands = select(Demand.id).where(Demand.community_id.in_(self._allowed_regions()))
        return query.filter(Claim.demand_id.in_(demands))

    def _confirm(self, ids, step: str):
        from admin.database import db

        done, refused = 0, []
        for claim_id in ids:
            claim = self.get_one(claim_id)
            if claim is None or claim.user_id is None:
                refused.append(f"#{claim_id}：找不到")
                continue
            try:
                engine.act(db(), actor(), claim.demand_id, step, {}, on_behalf_of=claim.user_id)
                done += 1
            except Refused as exc:
                refused.append(f"#{claim_id}：{refusal_text(exc)}")
        flash(f"已确认 {done} 人" + (f"；未确认：{'；'.join(refused[:20])}" if refused else ""),
              "success" if not refused else "warning")

    @action("sign_in", "确认签到", "为所选人员确认签到？")
    def action_sign_in(self, ids):
        self._confirm(ids, "sign_in")

    @action("sign_out", "确认签退", "为所选人员确认签退？")
    def action_sign_out(self, ids):
        self._confirm(ids, "sign_out")


class OrderView(SecuredModelView):
    region_key = "community_id"
    column_labels = LABELS
    can_create = can_edit = can_delete = False
    column_list = ["id", "item_id", "user_id", "quantity", "points", "status", "pickup_code", "created_at"]
    column_filters = ["status"]
    column_default_sort = ("id", True)


class AuditLogView(SecuredModelView):
    """Who changed what, before and after. City admins see all; others their own changes."""

    column_labels = LABELS
    can_create = can_edit = can_delete = False
    column_list = ["at", "actor_id", "action", "table_name", "row_id", "before", "after", "reason"]
    column_filters = ["table_name", "action"]
    column_default_sort = ("id", True)

    def _scope(self, query):
        if highest_role() is Role.CITY_ADMIN:
            return query
        return query.filter(AuditLog.actor_id == actor().user_id)
