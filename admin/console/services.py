"""Appointment services and their timetable: slots one by one, or many at once from a weekly
pattern (weekdays × times × weeks), all or none, bookable at once."""
from __future__ import annotations

from datetime import timedelta

from flask import flash, g, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import inspect, select
from wtforms import DateField, IntegerField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, NumberRange
from wtforms.validators import ValidationError as FieldError
from wtforms.widgets import CheckboxInput, ListWidget

from admin.auth import actor
from admin.console import choices
from admin.console.fields import ChoiceIdField, TextAreaField
from admin.console.forms import ConsoleForm
from admin.console.secure import SecuredModelView, lang
from flows.catalogue import services
from flows.core.refusals import Refused
from flows.engine.menu import books_slots
from flows.people import regions
from schemas.clock import LOCAL_TZ, local_day, utcnow
from schemas.tables import AppointmentService, AppointmentSlot, Region, RegionLevel

WEEKDAYS = [(0, _l("周一")), (1, _l("周二")), (2, _l("周三")), (3, _l("周四")), (4, _l("周五")), (5, _l("周六")),
            (6, _l("周日"))]


class AppointmentServiceView(SecuredModelView):
    """A bookable service of a community; its task type is one the community's district may use."""

    region_key = "community_id"
    column_list = ["name", "community_id", "task_type_id", "provider_org_id", "is_active"]
    column_searchable_list = ["name"]
    form_columns = ["name", "community_id", "task_type_id", "provider_org_id", "description", "is_active"]
    form_overrides = {"description": TextAreaField}
    form_extra_fields = {
        "community_id": ChoiceIdField(_l("社区"), choices=choices.regions(RegionLevel.COMMUNITY)),
        "task_type_id": ChoiceIdField(_l("任务类型"), choices=choices.task_types_for_services),
        "provider_org_id": ChoiceIdField(_l("服务组织"), choices=choices.organisations, allow_blank=True),
    }

    # Its bookings' residents and demands are the community's: moving the service under them
    # left them behind, listed nowhere (the walk).
    held_columns = ("community_id",)
    held_message = _l("这项服务还有 %(n)s 个未到期的预约，不能改社区：预约的居民和需求都在原社区。请先在门户首页的"
                      "“预约安排”里打开这些预约，点“社区取消”（会通知居民），或等这些预约过后再改")

    def live_uses(self, model) -> int:
        return services.live_bookings(self.session, model.id, utcnow())

    def on_model_change(self, form, model, is_created):
        # read before the scope check's query autoflushes the change away
        state = inspect(model)
        active = state.attrs.is_active.history
        g.yijia_deactivated = not is_created and bool(active.deleted and active.deleted[0]) and not model.is_active
        g.yijia_type_chosen = is_created or state.attrs.task_type_id.history.has_changes()
        super().on_model_change(form, model, is_created)

    def after_model_change(self, form, model, is_created):
        """停用 stops new bookings; those made stay and are served. Say so, and how to call
        them off, rather than leave the admin guessing what became of them."""
        if g.pop("yijia_deactivated", False):
            booked = services.live_bookings(self.session, model.id, utcnow())
            if booked:
                flash(_("已停用：不再接受新的预约。已有的 %(n)s 个预约照常有效；要取消，请在门户首页的“预约安排”里打开预约，"
                        "点“社区取消”（会通知居民）", n=booked), "info")
        super().after_model_change(form, model, is_created)

    def check(self, model, created):
        from schemas.tables import TaskType

        task_type = self.session.get(TaskType, model.task_type_id)
        community = self.session.get(Region, model.community_id)
        if task_type is not None and community is not None and task_type.district_id is not None \
                and f"/{task_type.district_id}/" not in community.path:
            raise Refused("input", fields={"task_type_id": _("这个任务类型属于另一个区县，不能用于这个社区")})
        if task_type is not None and community is not None and g.pop("yijia_type_chosen", True) \
                and not books_slots(self.session, task_type, regions.district_id(community.path)):
            raise Refused("input", fields={"task_type_id": _("这个任务类型的流程不是从预约时段开始的，不能用于预约服务："
                                                             "请选一个预约类的任务类型")})


class SlotPatternForm(ConsoleForm):
    """The weekly pattern: which service, weekdays, times, from which day, how many weeks."""

    service_id = ChoiceIdField(_l("服务"), choices=choices.services)
    weekdays = SelectMultipleField(_l("星期"), choices=WEEKDAYS, coerce=int, widget=ListWidget(prefix_label=False),
                                   option_widget=CheckboxInput())
    times = StringField(_l("时间段"), validators=[InputRequired()],
                        description=_l("如 09:00-10:00, 14:00-15:30（北京时间）"))
    first_day = DateField(_l("开始日期"), validators=[InputRequired()])
    weeks = IntegerField(_l("周数"), default=4, validators=[InputRequired(), NumberRange(1, services.MAX_WEEKS)])
    capacity = IntegerField(_l("每个时段可约人数"), default=1, validators=[InputRequired(), NumberRange(1, 500)])


class AppointmentSlotView(SecuredModelView):
    """Slots of a service: one by one here, or many from a weekly pattern (排班)."""

    list_template = "console/slots.html"
    column_list = ["service_id", "starts_at", "ends_at", "capacity", "booked"]
    column_default_sort = ("starts_at", False)
    form_columns = ["service_id", "starts_at", "ends_at", "capacity"]
    form_args = {"capacity": {"validators": [NumberRange(1, 500)]}}
    form_extra_fields = {"service_id": ChoiceIdField(_l("服务"), choices=choices.services)}
    in_use_message = _l("这个时段有过预约，不能删除（预约记录要保留）。不再开放：把可约人数改为已约人数；"
                        "要取消已有的预约：在门户首页的“预约安排”里打开预约，点“社区取消”")
    constraint_messages = {
        "capacity_positive": ("capacity", _l("可约人数至少为 1")),
        "booked_within_capacity": ("capacity", _l("已有人预约，可约人数不能少于已约人数")),
        "ends_after_start": ("ends_at", _l("结束时间要晚于开始时间")),
    }

    def _scope(self, query):
        services_ = select(AppointmentService.id).where(AppointmentService.community_id.in_(self._allowed_regions()))
        return query.filter(AppointmentSlot.service_id.in_(services_))

    def _check_region(self, model):
        allowed = set(self.session.scalars(select(AppointmentService.id).where(
            AppointmentService.community_id.in_(self._allowed_regions()))))
        if model.service_id not in allowed:
            raise FieldError(_("不能为您管辖范围以外的服务排班"))

    def check(self, model, created):
        if model.starts_at and model.ends_at and model.ends_at <= model.starts_at:
            raise Refused("input", fields={"ends_at": _("结束时间要晚于开始时间")})

    # A booking keeps the time it was made for (its demand, its reminders, the member sent):
    # the community calls the bookings off instead, which tells the residents.
    held_columns = ("starts_at", "ends_at", "service_id")
    held_message = _l("这个时段已有 %(n)s 人预约，不能改时间或服务。请在门户首页的“预约安排”里打开这些预约，"
                      "点“社区取消”（会通知居民），再排一个新时段")

    def live_uses(self, model) -> int:
        return model.booked

    def create_model(self, form):
        """One slot, through the same checks as a pattern (future, no clash)."""
        try:
            ids = services.create_slots(self.session, actor(), int(form.service_id.data or 0),
                                        [(form.starts_at.data, form.ends_at.data)], int(form.capacity.data or 1))
        except Refused as exc:
            self.session.rollback()
            self._explain(form, _starts_on(exc))
            return False
        return self.session.get(AppointmentSlot, ids[0])

    @expose("/bulk/", methods=["GET", "POST"])
    def bulk_view(self):
        """Many slots from a weekly pattern, all or none."""
        form = SlotPatternForm(request.form, meta={"locales": [lang()]})
        if request.method == "GET":
            form.first_day.data = (utcnow().astimezone(LOCAL_TZ) + timedelta(days=1)).date()
        if request.method == "POST" and form.validate() and self.can_create:
            first_day = form.first_day.data or local_day(utcnow())  # Beijing's today, not the server's
            pattern = services.WeeklyPattern(frozenset(form.weekdays.data or []), (), first_day,
                                             form.weeks.data or 0, form.capacity.data or 0)
            try:
                times = services.parse_times(form.times.data or "")
                ids = services.create_slots(self.session, actor(), int(form.service_id.data or 0),
                                            services.expand(_with_times(pattern, times)), pattern.capacity)
            except Refused as exc:
                self.session.rollback()
                self._explain(form, exc)
            else:
                flash(_("已生成 %(n)s 个时段，居民现在可以预约", n=len(ids)), "success")
                return redirect(url_for(".index_view"))
        return self.render("console/slot_bulk.html", form=form, user=current_user)


def _with_times(pattern: services.WeeklyPattern, times) -> services.WeeklyPattern:
    return services.WeeklyPattern(pattern.weekdays, times, pattern.first_day, pattern.weeks, pattern.capacity)


def _starts_on(exc: Refused) -> Refused:
    """A single slot's refusals name the pattern's fields; put them on the slot form's."""
    moved = {{"first_day": "starts_at", "times": "starts_at", "weekdays": "starts_at", "weeks": "starts_at"}.get(k, k): v
             for k, v in exc.field_messages.items()}
    return Refused(exc.code, exc.params, fields=moved)
