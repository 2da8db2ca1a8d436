"""List filters that work: enum filters choose among labelled values and compare by value
(Flask-Admin's looked the value up as a member *name*), region and skill filters by name."""
from __future__ import annotations

from flask_admin.contrib.sqla import filters
from flask_admin.model.filters import convert
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from admin.console.labels import enum_label
from schemas.tables import Member, Region, Skill, member_skills


class EnumEqual(filters.FilterEqual):
    def clean(self, value):
        enum_class = self.column.type.enum_class
        try:
            return enum_class(value)
        except ValueError:
            return None

    def apply(self, query, value, alias=None):
        if value is None:
            return query.filter(False)
        return super().apply(query, value, alias)


class EnumNotEqual(filters.FilterNotEqual):
    def clean(self, value):
        try:
            return self.column.type.enum_class(value)
        except ValueError:
            return None


class ConsoleFilterConverter(filters.FilterConverter):
    """Flask-Admin's converter with labelled, working enum filters."""

    @convert("enum")
    def conv_enum(self, column, name, options=None, **kwargs):
        enum_class = column.type.enum_class
        options = options or [(member.value, enum_label(member)) for member in enum_class]
        return [EnumEqual(column, name, options, **kwargs), EnumNotEqual(column, name, options, **kwargs)]


class RegionNameFilter(filters.BaseSQLAFilter):
    """Rows of the region with this name (typed: the choice list would differ per admin, and
    Flask-Admin caches filter options per app)."""

    def apply(self, query, value, alias=None):
        return query.filter(self.column.in_(select(Region.id).where(Region.name == value.strip())))

    def operation(self):
        return _l("是")


class ReportedInFilter(filters.BaseSQLAFilter):
    """Members reported in to the community with this name."""

    def apply(self, query, value, alias=None):
        from schemas.tables import MemberRegistration

        return query.filter(Member.user_id.in_(
            select(MemberRegistration.member_id).join(Region, Region.id == MemberRegistration.community_id)
            .where(Region.name == value.strip())))

    def operation(self):
        return _l("是")


class SkillFilter(filters.BaseSQLAFilter):
    """Members who have the skill with this name (the talent pool's search by skill)."""

    def apply(self, query, value, alias=None):
        having = select(member_skills.c.member_id).join(Skill, Skill.id == member_skills.c.skill_id).where(
            Skill.name == value.strip())
        return query.filter(Member.user_id.in_(having))

    def operation(self):
        return _l("有")

    def get_options(self, view):
        return LiveOptions(lambda session: [(n, n) for n in session.scalars(select(Skill.name).order_by(Skill.name))])


class LiveOptions:
    """Filter options read when a page is drawn: Flask-Admin keeps a filter's options from
    start-up, and iterates them for each page."""

    def __init__(self, read):
        self.read = read

    def __bool__(self) -> bool:
        return True

    def __iter__(self):
        from admin.database import db

        return iter(self.read(db()))
