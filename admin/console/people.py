"""People: party organisations, the talent pool (skills by name, filter by skill), and the
report-ins (报到) a community approves."""
from __future__ import annotations

from flask import flash, redirect, url_for
from flask_admin.actions import action
from flask_admin.contrib.sqla import tools
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect, or_, select
from wtforms.validators import ValidationError

from admin.auth import actor
from admin.console import choices
from admin.console.fields import ChoiceIdField, TextAreaField
from admin.console.filters import ConsoleFilterConverter, RegionNameFilter, ReportedInFilter, SkillFilter
from admin.console.secure import SecuredModelView, highest_role
from admin.database import db
from flows.people import accounts, joining
from schemas.clock import utcnow
from schemas.tables import (
    Member,
    MemberRegistration,
    Organisation,
    RegionLevel,
    RegistrationStatus,
    Role,
    Skill,
    User,
    member_skills,
)


class OrganisationView(SecuredModelView):
    """Party organisations of a district: the city and district admins keep them; a community
    admin reads those of their district."""

    region_key = "district_id"
    edit_roles = (Role.CITY_ADMIN, Role.DISTRICT_ADMIN)
    column_list = ["name", "work_unit", "district_id", "contact_name", "contact_phone"]
    column_searchable_list = ["name", "work_unit"]
    column_filters = [RegionNameFilter(Organisation.district_id, _l("区县"))]
    form_columns = ["name", "work_unit", "district_id", "contact_name", "contact_phone"]
    form_extra_fields = {"district_id": ChoiceIdField(_l("区县"), choices=choices.regions(RegionLevel.DISTRICT))}
    constraint_messages = {"uq_organisations_name": ("name", _l("已有同名的党组织"))}

    def _scope(self, query):
        return query.filter(Organisation.district_id.in_(self._allowed_districts()))


def _skills(view, context, model, name) -> str:
    return "、".join(sorted(skill.name for skill in model.skills))


class MemberView(SecuredModelView):
    """The talent pool (人才资源库): skills by name, filter by skill, community and availability; an
    admin links a member to their organisation here (its grabbed activities then reach the
    member's hall)."""

    filter_converter = ConsoleFilterConverter()
    column_list = ["user.display_name", "work_unit", "org_id", "availability", "skills"]
    column_export_list = ["user.display_name", "user.username", "work_unit", "org_id", "availability", "skills"]
    column_labels = {**SecuredModelView.column_labels, "user.username": _l("用户名")}
    column_searchable_list = ["user.display_name", "work_unit", "availability"]  # and skills: _apply_search
    edit_template = "console/member_edit.html"
    column_filters = [SkillFilter(Member.user_id, _l("技能")), "availability",
                      ReportedInFilter(Member.user_id, _l("报到社区"))]
    column_formatters = {"skills": _skills}
    form_columns = ["work_unit", "org_id", "availability", "skills", "bio"]
    form_extra_fields = {"org_id": ChoiceIdField(_l("党组织"), choices=choices.organisations, allow_blank=True,
                                                blank_text=_l("（无）"))}
    form_overrides = {"bio": TextAreaField}
    form_args = {"skills": {"get_label": "name"}}
    creatable = deletable = False

    def _apply_search(self, query, count_query, joins, count_joins, search):
        """Each word matches a name, a work unit, an availability or a skill (理发 found nobody).
        By subqueries: a join through the skills repeats a member once per skill, and the
        list's count and pages went wrong."""
        for term in filter(None, search.split(" ")):
            like = tools.parse_like_term(term)
            matches = or_(
                Member.user_id.in_(select(User.id).where(User.display_name.ilike(like))),
                Member.work_unit.ilike(like), Member.availability.ilike(like),
                Member.user_id.in_(select(member_skills.c.member_id).join(Skill, Skill.id == member_skills.c.skill_id)
                                   .where(Skill.name.ilike(like))))
            query = query.filter(matches)
            if count_query is not None:
                count_query = count_query.filter(matches)
        return query, count_query, joins, count_joins

    def _scope(self, query):
        # the pool is who reported in and was approved: one waiting for 报到审核 was listed with
        # them and no word of it (56 against 报到党员 55, the walk)
        members = select(MemberRegistration.member_id).where(
            MemberRegistration.community_id.in_(self._allowed_regions()),
            MemberRegistration.status == RegistrationStatus.APPROVED)
        return query.filter(Member.user_id.in_(members))

    def _check_region(self, model):
        pass  # rows are reached only through the scoped query; no region of their own to move

    def check(self, model, created: bool) -> None:
        """Setting the organisation here is a placement: an event, the member told, and a
        request they had waiting for that organisation settled (joining.placed)."""
        old = inspect(model).attrs.org_id.history.deleted
        if old or inspect(model).attrs.org_id.history.added:
            if highest_role() not in (Role.CITY_ADMIN, Role.DISTRICT_ADMIN):  # a community's admin keeps skills only
                raise ValidationError(gettext("只有区县或市级管理员可以改党员所属的党组织"))
            joining.placed(self.session, model, old[0] if old else None, actor().user_id, utcnow())


class _RegistrationView(SecuredModelView):
    filter_converter = ConsoleFilterConverter()
    creatable = editable = deletable = False
    column_filters = ["status"]
    column_default_sort = ("id", True)
    kind = "member"

    @action("approve", _l("通过报到"), _l("确认通过所选报到？"))
    def action_approve(self, ids):
        self.for_each_row(ids, lambda row: accounts.decide(db(), actor(), self.kind, row.id, True),
                          _l("已处理 %(n)s 条"), _l("；未处理：%(list)s"))

    @action("reject", _l("退回报到"))
    def action_reject(self, ids):
        """A rejection says why, to its applicant: one at a time, on the page that asks for the
        reason (the same page as the portal's 报到审核, with the same checks)."""
        if len(ids) != 1:
            flash(gettext("退回需要写明原因：请一次选一条"), "error")
            return None
        return redirect(url_for("portal.reject_registration", kind=self.kind, registration_id=int(ids[0])))


class MemberRegistrationView(_RegistrationView):
    region_key = "community_id"
    column_list = ["member_id", "community_id", "status", "created_at", "decided_by"]


class OrgRegistrationView(_RegistrationView):
    region_key = "community_id"
    column_list = ["org_id", "community_id", "status", "created_at", "decided_by"]
    kind = "org"
