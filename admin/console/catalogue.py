"""The catalogues districts keep without code: task types and their point rules, the city's
bounds, shop items (stock moved only by restock), news, the convenience directory."""
from __future__ import annotations

import uuid

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import or_, select
from wtforms import BooleanField, HiddenField, IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.validators import ValidationError as FieldError

from admin.auth import actor
from admin.console import choices
from admin.console.fields import ChoiceIdField, FactorsField, LocalDateTimeField, PictureField, TextAreaField
from admin.console.filters import ConsoleFilterConverter, RegionNameFilter
from admin.console.forms import ConsoleForm
from admin.console.labels import ENUMS
from admin.console.location import check_location, preview
from admin.console.secure import SecuredModelView, highest_role
from admin.i18n import refusal_text
from admin.params import to_id
from flows.catalogue import news, task_types
from flows.core.i18n import Message
from flows.core.refusals import Refused
from flows.points import rules, shop
from flows.workflow import registry
from schemas.clock import utcnow
from schemas.tables import (
    DirectoryEntry,
    DirectoryService,
    NewsPost,
    Region,
    RegionLevel,
    Role,
    ShopItem,
    TaskCategory,
    TaskType,
)


def _storage_save(data: bytes) -> str:
    from admin.portal.common import storage

    return storage().save(data)


def _is_city() -> bool:
    return highest_role() is Role.CITY_ADMIN


class TaskTypeView(SecuredModelView):
    """A district's kinds of demand: its own codes, workflow and point rules. The city admin
    edits all (and the city-wide types), a district admin theirs, a community admin reads."""

    region_key = "district_id"
    global_rows_readable = True
    edit_roles = (Role.CITY_ADMIN, Role.DISTRICT_ADMIN)
    filter_converter = ConsoleFilterConverter()
    column_list = ["name", "code", "category", "default_points", "per_hour", "rating_factors", "workflow_id",
                   "district_id", "is_active"]
    column_searchable_list = ["name", "code"]
    column_filters = ["category", "is_active", RegionNameFilter(TaskType.district_id, _l("区县"))]
    form_columns = ["name", "code", "category", "district_id", "workflow_id", "default_points", "per_hour",
                    "rating_factors", "is_active", "description"]
    column_formatters = {"rating_factors": lambda v, c, m, n: rules.format_factors(m.rating_factors)}
    column_descriptions = {
        "per_hour": _l("留空则按工作流的规定；不能超过市里设定的上限"),
        "rating_factors": _l("按评分星级调整积分，如 1:0, 3:0.8, 5:1.2；留空则按工作流的规定"),
        "code": _l("在本区县内唯一，居民端的链接 /new/代码 用它"),
    }
    form_overrides = {"rating_factors": FactorsField, "description": TextAreaField}
    form_args = {
        "default_points": {"validators": [NumberRange(0, 100000)]},
        "per_hour": {"validators": [Optional(), NumberRange(0, 10000)],
                     "description": _l("每服务一小时加的积分；留空则按工作流的规定；不能超过市里设定的上限")},
        "rating_factors": {"description": _l("按评分星级调整积分，如 1:0, 3:0.8, 5:1.2；留空则按工作流的规定")},
        "code": {"description": _l("在本区县内唯一，居民端的链接 /new/代码 用它"),
                 "validators": [Regexp(r"^[a-z][a-z0-9_]{0,47}$", message=_l("代码用小写字母开头，只含小写字母、数字和下划线"))]},
    }
    form_extra_fields = {
        "district_id": ChoiceIdField(_l("区县"), choices=choices.regions(RegionLevel.DISTRICT), allow_blank=_is_city,
                                     blank_text=_l("（全市通用）")),
        "workflow_id": ChoiceIdField(_l("工作流"), choices=choices.workflows),
    }
    constraint_messages = {
        "points_range": ("default_points", _l("基础积分应在 0 到 100000 之间")),
        "per_hour_range": ("per_hour", _l("每小时积分应在 0 到 10000 之间")),
        "uq_task_types_district_id_code": ("code", _l("本区县已有这个代码")),
        "uq_task_types_city_code": ("code", _l("全市通用的类型里已有这个代码")),
    }

    def _scope(self, query):
        """Their district's types and the city-wide ones (a community admin reads their district's)."""
        return query.filter(or_(TaskType.district_id.is_(None), TaskType.district_id.in_(self._allowed_districts())))

    def check(self, model, created):
        """The city's bounds on points, and a workflow of the type's own kind (a 急难愁盼 put on
        the activity workflow lost its residents' button and its page, with 保存记录成功)."""
        fields: dict[str, Message] = {}
        try:
            rules.check_task_type(self.session, model)
        except Refused as exc:
            fields.update(exc.field_messages)
        row = registry.latest_version(self.session, model.workflow_id, model.district_id) if model.workflow_id else None
        if row is not None and model.category is not None:
            workflow = registry.load(self.session, row.workflow_id, row.version, row.content_hash)
            if not task_types.fits(TaskCategory(model.category), workflow.spec.category):
                fields["workflow_id"] = Message("task_type.workflow_kind", {
                    "workflow": row.title, "kind": _kind(workflow.spec.category),
                    "category": str(ENUMS[TaskCategory(model.category)])})
        if fields:
            raise Refused("input", fields=fields)


def _kind(category: str) -> str:
    """A workflow's category in the reader's words (the console's names of task categories)."""
    try:
        return str(ENUMS[TaskCategory(category)])
    except (ValueError, KeyError):
        return category


class PointPolicyView(SecuredModelView):
    """The bounds the city sets on what districts tune, and the approval line for adjustments."""

    edit_roles = (Role.CITY_ADMIN,)
    creatable = deletable = False
    column_list = ["max_base_points", "max_per_hour", "max_rating_factor", "adjust_threshold", "updated_at"]
    form_columns = ["max_base_points", "max_per_hour", "max_rating_factor", "adjust_threshold"]
    form_args = {
        "max_base_points": {"validators": [NumberRange(0, 100000)]},
        "max_per_hour": {"validators": [NumberRange(0, 10000)]},
        "max_rating_factor": {"validators": [NumberRange(0, 10)]},
        "adjust_threshold": {"validators": [NumberRange(1, 100000)]},
    }

    def check(self, model, created):
        model.updated_by, model.updated_at = current_user.id, utcnow()


class ShopItemView(SecuredModelView):
    """Items of a community's points supermarket. Stock is not a form field: it moves only by
    a relative, audited restock (or write-off), so redemptions made meanwhile stand."""

    region_key = "community_id"
    filter_converter = ConsoleFilterConverter()
    details_template = "console/shop_item.html"
    column_list = ["name", "community_id", "price", "stock", "limit_qty", "limit_period", "on_sale"]
    column_searchable_list = ["name"]
    column_filters = ["on_sale", "limit_period", RegionNameFilter(ShopItem.community_id, _l("社区"))]
    form_columns = ["name", "community_id", "description", "picture", "price", "limit_qty", "limit_period", "on_sale"]
    form_overrides = {"description": TextAreaField}
    form_args = {"price": {"validators": [NumberRange(1, 1_000_000)]},
                 "limit_qty": {"validators": [Optional(), NumberRange(1, 1000)]}}
    form_extra_fields = {
        "community_id": ChoiceIdField(_l("社区"), choices=choices.regions(RegionLevel.COMMUNITY)),
        "picture": PictureField(_l("图片"), save=_storage_save),
    }
    column_formatters = {"picture": lambda v, c, m, n: _thumb(m.picture)}
    constraint_messages = {
        "price_positive": ("price", _l("积分价格必须大于 0")),
        "limit_positive": ("limit_qty", _l("每人限兑应大于 0，或留空表示不限")),
        "uq_shop_items_community_id_name": ("name", _l("本社区已有同名商品")),
    }

    @expose("/restock/", methods=["POST"])
    def restock_view(self):
        """Add or write off stock: a relative move with its reason, once per form (its key)."""
        item = self.get_one(request.args.get("id", ""))
        if item is None or not self.can_edit:
            abort(404)
        form = RestockForm(request.form)
        if not form.validate():
            flash("；".join(str(e) for errors in form.errors.values() for e in errors), "error")
            return redirect(url_for(".details_view", id=item.id))
        try:
            move = shop.restock(self.session, actor(), item.id, form.delta.data or 0, form.reason.data or "",
                                form.request_key.data or uuid.uuid4().hex)
        except Refused as exc:
            flash(refusal_text(exc), "error")
        else:
            flash(_("库存已调整为 %(stock)s", stock=move.stock_after), "success")
        return redirect(url_for(".details_view", id=item.id))

    def get_save_return_url(self, model, is_created: bool = False) -> str:
        """A new item has no stock (stock comes only by an audited restock): its page, where the
        restock form is, comes next, not the list (it went on sale showing 库存 0)."""
        if is_created and getattr(model, "id", None) is not None:
            return self.get_url(".details_view", id=model.id)
        return super().get_save_return_url(model, is_created)

    def after_model_change(self, form, model, is_created):
        """Said however the new item was saved (保存并继续编辑 opens its edit form, where there is
        no stock field): it has none until its first restock."""
        super().after_model_change(form, model, is_created)
        if is_created:
            flash(_("商品已创建，库存为 0：请在它的“详情”页“补货 / 出库”填写首批数量，有库存后居民才能兑换。"), "info")

    def render(self, template, **kwargs):
        if template == self.details_template:
            kwargs["restock"] = RestockForm(request_key=uuid.uuid4().hex)
        return super().render(template, **kwargs)


class RestockForm(ConsoleForm):
    """Stock in (positive) or out (negative), with a reason; the key makes a resent form harmless."""

    delta = IntegerField(_l("数量（负数为出库）"), validators=[InputRequired(), NumberRange(-10_000, 10_000)])
    reason = StringField(_l("原因"), validators=[InputRequired(), Length(max=255)])
    request_key = HiddenField()


def _thumb(key: str | None) -> Markup:
    return Markup(f'<img src="/media/{escape(key)}" alt="" style="max-height:40px">') if key else Markup("")


def _news_state(view, context, model, name) -> str:
    if model.published_at is None:
        return _("草稿")
    return _("已发布") if model.published_at <= utcnow() else _("定时发布")


class NewsPostView(SecuredModelView):
    """News: a draft until its publish time (which may be later: it appears then), with a cover."""

    region_key = "region_id"
    column_list = ["title", "region_id", "published_at", "state"]
    column_labels = {**SecuredModelView.column_labels, "state": _l("状态")}
    column_searchable_list = ["title"]
    form_columns = ["title", "region_id", "summary", "body", "cover", "published_at", "publish_now"]
    form_overrides = {"body": TextAreaField}
    form_extra_fields = {
        "region_id": ChoiceIdField(_l("地区"), choices=lambda: _news_regions()),
        "cover": PictureField(_l("封面图片"), save=_storage_save),
        "published_at": LocalDateTimeField(_l("发布时间"), description=_l("留空为草稿；填将来的时间则到时发布")),
        # publishing now meant typing the current time to the minute (the walk)
        "publish_now": BooleanField(_l("立即发布"), description=_l("勾选后保存即发布，居民马上能看到")),
    }
    column_formatters = {"state": _news_state, "cover": lambda v, c, m, n: _thumb(m.cover)}

    def _get_default_order(self):
        """Drafts first (they wait for the admin), then by publish time, newest first: the order
        readers see, not the order posts were typed in. Spelled out so both engines agree on
        where an empty publish time goes."""
        yield NewsPost.published_at.is_(None).desc(), [], False
        yield NewsPost.published_at, [], True
        yield NewsPost.id, [], True

    repeat_ignores = ("published_at", "cover")

    def prepare(self, form, model) -> None:
        """立即发布: published now, a draft or a later time alike (ticked, it means now)."""
        publish_now = getattr(form, "publish_now", None)
        if publish_now is not None and publish_now.data:
            model.published_at = utcnow()

    def check(self, model, created):
        news.check_region(self.session, actor(), model.region_id)  # the API's rules too (flows.catalogue.news)
        news.check_publish_time(model.published_at)
        if created:
            model.author_id = current_user.id

    def after_model_change(self, form, model, is_created):
        """A post saved without a publish time is a draft nobody sees: said, not only 保存成功."""
        if model.published_at is None:
            flash(_("已存为草稿，居民还看不到。要发布：勾选“立即发布”或填写发布时间，再保存"), "info")
        super().after_model_change(form, model, is_created)


def _news_regions() -> list[tuple[int, str]]:
    """Regions a post may belong to: the admin's district(s) and communities, not streets."""
    out = []
    for level in (RegionLevel.CITY, RegionLevel.DISTRICT, RegionLevel.COMMUNITY):
        out += choices.regions(level)()
    return out


class DirectoryEntryView(SecuredModelView):
    """Enterprises and merchants near a community, with their location (coordinates, checked
    against the community's and previewed on a small map drawn here: no map service, no CDN)."""

    region_key = "community_id"
    filter_converter = ConsoleFilterConverter()
    details_template = "console/entry.html"
    column_list = ["name", "kind", "community_id", "address", "phone", "hours"]
    column_details_list = ["name", "kind", "community_id", "address", "phone", "hours", "lat", "lng", "description"]
    column_searchable_list = ["name", "address"]
    column_filters = ["kind", RegionNameFilter(DirectoryEntry.community_id, _l("社区"))]
    form_columns = ["name", "kind", "community_id", "address", "phone", "hours", "lat", "lng", "description"]
    form_overrides = {"description": TextAreaField}
    form_args = {"lat": {"validators": [Optional(), NumberRange(-90, 90)],
                         "description": _l("如 47.7270；可在地图软件里长按取得")},
                 "lng": {"validators": [Optional(), NumberRange(-180, 180)], "description": _l("如 128.8410")}}
    form_extra_fields = {"community_id": ChoiceIdField(_l("社区"), choices=choices.regions(RegionLevel.COMMUNITY))}
    constraint_messages = {"lat_range": ("lat", _l("纬度应在 -90 到 90 之间")),
                           "lng_range": ("lng", _l("经度应在 -180 到 180 之间"))}

    def check(self, model, created):
        check_location(self.session, model)

    def render(self, template, **kwargs):
        model = kwargs.get("model")
        if isinstance(model, DirectoryEntry):
            kwargs["map"] = preview(self.session, model)
            kwargs["services"] = list(self.session.scalars(select(DirectoryService).where(
                DirectoryService.entry_id == model.id).order_by(DirectoryService.name)))
        return super().render(template, **kwargs)


class DirectoryServiceView(SecuredModelView):
    """The convenience service items (便民服务事项) each business offers: add and edit."""

    column_list = ["name", "category", "entry_id", "resource_id"]
    column_searchable_list = ["name", "category"]
    form_columns = ["entry_id", "name", "category", "resource_id", "description"]
    form_overrides = {"description": TextAreaField}
    form_extra_fields = {"entry_id": ChoiceIdField(_l("商户"), choices=choices.entries),
                         "resource_id": ChoiceIdField(_l("共享资源"), choices=choices.resources, allow_blank=True)}

    def _scope(self, query):
        allowed = select(DirectoryEntry.id).where(DirectoryEntry.community_id.in_(self._allowed_regions()))
        return query.filter(DirectoryService.entry_id.in_(allowed))

    def _check_region(self, model):
        entry = self.session.get(DirectoryEntry, model.entry_id) if model.entry_id else None
        region = self.session.get(Region, entry.community_id) if entry else None
        if region is None or not any(region.path.startswith(p) for p in actor().admin_paths()):
            raise FieldError(_("不能为您管辖范围以外的商户添加服务"))

    def create_form(self, obj=None):
        form = super().create_form(obj)
        entry_id = to_id(request.args.get("entry_id")) if request.method == "GET" else None
        if entry_id is not None:
            form.entry_id.data = entry_id
        return form


__all__ = ["DirectoryEntryView", "DirectoryServiceView", "NewsPostView", "PointPolicyView", "ShopItemView",
           "TaskTypeView"]
