"""The one base every admin view inherits: log-in and role required, CSRF on every form,
rows scoped to the admin's regions in lists, counts, edits, exports, filters and URLs typed
by hand, and every change audited (who, when, before → after)."""
from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from flask import abort, redirect, request, send_file, url_for
from flask_admin import BaseView, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.form import SecureForm
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import inspect, or_, select
from sqlalchemy.exc import DataError, StatementError
from wtforms.validators import ValidationError

from admin.auth import actor
from admin.params import BadParam, to_id
from admin.security.failures import is_unavailable
from schemas.tables import AuditLog, Region, Role


def admin_paths() -> list[str]:
    """Region paths the logged-in admin governs ('/1/' for the city admin covers everything)."""
    return actor().admin_paths()


def is_admin() -> bool:
    return current_user.is_authenticated and bool(admin_paths())


def highest_role() -> Role | None:
    """The logged-in admin's most senior role."""
    return actor().highest_admin_role()


class SecuredMixin:
    """Access control shared by model views and custom pages."""

    def is_accessible(self) -> bool:
        return is_admin()

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)


def _plain(value):
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (str, int, float, bool, list, dict)) or value is None:
        return value
    return str(value)


class SecuredModelView(SecuredMixin, ModelView):
    """Scope by `region_column` (a column holding a region id); audited; exportable to xlsx."""

    # Model forms carry Flask-Admin's own session CSRF token (SecureForm). These views are
    # exempt from the app-wide Flask-WTF check and do not render its token: Flask-Admin's
    # templates would otherwise post two fields named csrf_token and the first would win.
    form_base_class = SecureForm

    def render(self, template, **kwargs):
        kwargs.setdefault("csrf_token", None)
        return super().render(template, **kwargs)
    region_key: str | None = None  # the model's column holding a region id, e.g. "community_id"
    global_rows_readable = False  # rows with no region (NULL) visible to every admin, editable by the city admin
    page_size = 50
    can_view_details = True
    list_template = "console/list.html"

    # -- scoping -------------------------------------------------------------------------
    def _allowed_regions(self):
        paths = admin_paths()
        return select(Region.id).where(or_(*[Region.path.startswith(p) for p in paths]))

    def _scope(self, query):
        if self.region_key is None:
            return query
        column = getattr(self.model, self.region_key)
        clause = column.in_(self._allowed_regions())
        if self.global_rows_readable:
            clause = or_(clause, column.is_(None))
        return query.filter(clause)

    def get_query(self):
        return self._scope(super().get_query())

    def get_count_query(self):
        return self._scope(super().get_count_query())

    def get_one(self, id):
        """The row by the id in a URL, within scope; an id that is not a number the column can
        hold is simply not found (no overflow, no 500)."""
        pk = inspect(self.model).primary_key[0]
        if pk.type.python_type is int:
            id = to_id(id)
            if id is None:
                return None
        return self.get_query().filter(pk == id).one_or_none()

    # -- input: Flask-Admin's own parsing, held to the portal's rule (400, never 500) -----------
    def _get_list_extra_args(self):
        """Filters, sort and search from the query string. Flask-Admin lets a bad enum filter
        value escape as KeyError: any such value is a 400 with a sentence."""
        try:
            return super()._get_list_extra_args()
        except (KeyError, ValueError, TypeError, OverflowError):
            raise BadParam(_("筛选或排序条件不正确")) from None

    def get_list(self, *args, **kwargs):
        """A filter value no column can hold (a 30-digit id) fails when the query runs: 400."""
        try:
            return super().get_list(*args, **kwargs)
        except (OverflowError, DataError) as exc:
            self.session.rollback()
            raise BadParam(_("筛选条件超出范围")) from exc
        except StatementError as exc:
            if isinstance(exc.orig, OverflowError):
                self.session.rollback()
                raise BadParam(_("筛选条件超出范围")) from exc
            raise

    @expose("/ajax/update/", methods=("POST",))
    def ajax_update(self):
        """In-place edits (x-editable): Flask-Admin answers a refused value with a 500; it is a 400."""
        answer = super().ajax_update()
        if isinstance(answer, tuple) and answer[1] == 500:
            return answer[0], 400
        return answer

    def handle_view_exception(self, exc):
        """The database being away is the app's 503 page, not Flask-Admin's "failed to save"."""
        if is_unavailable(exc):
            raise exc
        return super().handle_view_exception(exc)

    def _check_region(self, model) -> None:
        if self.region_key is None:
            return
        value = getattr(model, self.region_key)
        if value is None:
            if self.global_rows_readable and highest_role() is Role.CITY_ADMIN:
                return
            raise ValidationError("只有市级管理员可以修改全市通用的记录")
        region = self.session.get(Region, value)
        if region is None or not any(region.path.startswith(p) for p in admin_paths()):
            raise ValidationError("不能在您管辖范围以外的社区或区县操作")

    # -- audit ---------------------------------------------------------------------------
    def on_model_change(self, form, model, is_created):
        self._check_region(model)
        state = inspect(model)
        before, after = {}, {}
        for attr in state.mapper.column_attrs:
            history = state.attrs[attr.key].history
            if is_created or history.has_changes():
                after[attr.key] = _plain(getattr(model, attr.key))
                if not is_created and history.deleted:
                    before[attr.key] = _plain(history.deleted[0])
        self.session.add(AuditLog(actor_id=current_user.id, action="create" if is_created else "update",
                                  table_name=self.model.__tablename__, row_id=None if is_created else str(
                                      inspect(model).identity[0] if inspect(model).identity else ""),
                                  before=before or None, after=after))

    def after_model_change(self, form, model, is_created):
        if is_created:
            self.session.add(AuditLog(actor_id=current_user.id, action="created", table_name=self.model.__tablename__,
                                      row_id=str(inspect(model).identity[0])))
            self.session.commit()

    def on_model_delete(self, model):
        self._check_region(model)
        snapshot = {a.key: _plain(getattr(model, a.key)) for a in inspect(model).mapper.column_attrs}
        self.session.add(AuditLog(actor_id=current_user.id, action="delete", table_name=self.model.__tablename__,
                                  row_id=str(inspect(model).identity[0]), before=snapshot))

    # -- export --------------------------------------------------------------------------
    @expose("/export.xlsx")
    def export_xlsx(self):
        """The list as the admin sees it (same scope and filters), as an Excel file."""
        from openpyxl import Workbook

        view_args = self._get_list_extra_args()
        sort_column = self._get_column_by_idx(view_args.sort)
        if sort_column is not None:
            sort_column = sort_column[0]
        _, rows = self.get_list(0, sort_column, view_args.sort_desc, view_args.search, view_args.filters,
                                page_size=10_000, execute=True)
        columns = self.get_export_columns()
        book = Workbook()
        sheet = book.active
        sheet.append([str(label) for _, label in columns])
        for row in rows:
            sheet.append([_cell(getattr(row, name, "")) for name, _ in columns])
        out = io.BytesIO()
        book.save(out)
        out.seek(0)
        return send_file(out, as_attachment=True, download_name=f"{self.model.__tablename__}.xlsx",
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _cell(value):
    value = _plain(value)
    if isinstance(value, (list, dict)):
        return str(value)
    return value


class SecuredPage(SecuredMixin, BaseView):
    """A custom admin page (workflow editor, import, dashboard pieces)."""
