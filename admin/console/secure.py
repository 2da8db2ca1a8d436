"""The one base every admin view inherits: log-in and role required, CSRF on every form,
rows scoped to the admin's regions in lists, counts, edits, exports, filters and URLs typed
by hand, who may write decided by role, every field shown as stored and saved back unchanged,
database refusals as plain sentences beside their field, an edit refused when someone else changed
what its form shows after it was opened (two tabs, two admins: no silent overwrite), and every
change audited once (who, when, the row, before → after of what changed), with a history page per row."""
from __future__ import annotations

import hashlib
import io
import json
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, cast

from flask import abort, flash, g, has_request_context, redirect, request, send_file, url_for
from flask import session as flask_session
from flask_admin import BaseView, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.form import SecureForm
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import inspect, literal, or_, select
from sqlalchemy.exc import DataError, IntegrityError, StatementError
from wtforms.fields import HiddenField
from wtforms.validators import ValidationError

from admin.auth import actor
from admin.console import labels, names
from admin.console.fields import ConsoleConverter, local_minute, type_formatters
from admin.console.forms import ConsoleForm
from admin.i18n import refusal_text
from admin.params import SEARCH_MAX, BadParam, to_id
from admin.security.failures import is_unavailable
from flows.core import audit
from flows.core.moments import said_now
from flows.core.refusals import Refused
from flows.people.actors import ADMIN_ROLES
from flows.people.privacy import mask_name, mask_phone
from schemas.clock import utcnow
from schemas.tables import ApiReplay, AuditLog, Region, RegionLevel, Role, User

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def admin_paths() -> list[str]:
    """Region paths the logged-in admin governs ('/1/' for the city admin covers everything)."""
    return actor().admin_paths()


def is_admin() -> bool:
    return current_user.is_authenticated and bool(admin_paths())


def highest_role() -> Role | None:
    """The logged-in admin's most senior role."""
    return actor().highest_admin_role()


def lang() -> str:
    return str(get_locale() or "zh")


class SecuredMixin:
    """Access control shared by model views and custom pages."""

    def is_accessible(self) -> bool:
        return is_admin()

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)


class SecuredModelView(SecuredMixin, ModelView):
    """Scope by `region_key` (a column holding a region id); audited; exportable to xlsx."""

    # Model forms carry Flask-Admin's own session CSRF token (SecureForm). These views are
    # exempt from the app-wide Flask-WTF check and do not render its token: Flask-Admin's
    # templates would otherwise post two fields named csrf_token and the first would win.
    form_base_class = ConsoleForm
    model_form_converter = ConsoleConverter
    list_template = "console/list.html"
    details_template = "console/details.html"
    page_size = 50
    can_view_details = True
    column_labels = labels.COLUMNS
    column_type_formatters = type_formatters(labels.enum_label)
    column_type_formatters_detail = column_type_formatters
    column_type_formatters_export = column_type_formatters
    column_display_pk = False

    region_key: str | None = None  # the model's column holding a region id, e.g. "community_id"
    global_rows_readable = False  # rows with no region (NULL) visible to every admin, editable by the city admin
    edit_roles: tuple[Role, ...] = ADMIN_ROLES  # who may create, edit and delete (the others read)
    creatable = editable = deletable = True
    # constraint name → (form field, sentence): what a database refusal means to the admin
    constraint_messages: dict[str, tuple[str | None, Any]] = {}

    def __init__(self, model, session, **kwargs):
        if cast(Any, self).column_details_list is None and self.column_list:
            # 详情 shows what the list shows and what the form edits, not every attribute: the
            # default put a user's object repr and untranslated bookkeeping columns on the page
            columns = model.__table__.columns
            self.column_details_list = list(dict.fromkeys(
                [*self.column_list, *(c for c in self.form_columns or [] if isinstance(c, str) and c in columns)]))
        names_for = names.formatters_for(list(self.column_list or []) + list(self.column_details_list or []))
        own: dict[str, Any] = dict(cast(Any, self).column_formatters or {})
        self.column_formatters = {**names_for, **own}
        self.column_formatters_export = self.column_formatters
        self.column_formatters_detail = self.column_formatters
        super().__init__(model, session, **kwargs)

    def _handle_view(self, name, **kwargs):
        """Before any view: log-in and role, then a posted form's token. A missing or stale one is
        the app's "page expired" page (admin/security/expired.py) for every form of every model
        view, not Flask-Admin's half-English flash after the view has started."""
        refused = super()._handle_view(name, **kwargs)
        if refused is None and request.method == "POST":
            token = SecureForm(request.form)
            if not token.validate():
                raise CSRFError(token.errors.get("csrf_token", [""])[0])
        return refused

    def render(self, template, **kwargs):
        kwargs.setdefault("csrf_token", None)
        _translate_flashes()
        return super().render(template, **kwargs)

    # -- who may write -------------------------------------------------------------------
    def may_write(self) -> bool:
        """Whether the logged-in admin's role may change rows of this view."""
        return not has_request_context() or highest_role() in self.edit_roles

    @property
    def can_create(self) -> bool:
        return self.creatable and self.may_write()

    @property
    def can_edit(self) -> bool:
        return self.editable and self.may_write()

    @property
    def can_delete(self) -> bool:
        return self.deletable and self.may_write()

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """A value computed once per request (names for a list page)."""
        store = g.setdefault("console_cache", {})
        if key not in store:
            store[key] = compute()
        return store[key]

    # -- scoping -------------------------------------------------------------------------
    def _allowed_regions(self):
        paths = admin_paths()
        return select(Region.id).where(or_(*[Region.path.startswith(p) for p in paths]))

    def _allowed_districts(self):
        """Districts the admin governs, or the one their community lies in (for reading)."""
        paths = admin_paths()
        return select(Region.id).where(Region.level == RegionLevel.DISTRICT, or_(
            *[Region.path.startswith(p) for p in paths], *[literal(p).startswith(Region.path) for p in paths]))

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
        value escape as KeyError: any such value is a 400 with a sentence. A search longer than the search box allows
        is cut to it (as the portal's searches are)."""
        try:
            view_args = super()._get_list_extra_args()
        except (KeyError, ValueError, TypeError, OverflowError):
            raise BadParam(_("筛选或排序条件不正确")) from None
        if view_args.search:
            view_args.search = view_args.search[:SEARCH_MAX]
        return view_args

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
            raise ValidationError(_("只有市级管理员可以修改全市通用的记录"))
        region = self.session.get(Region, value)
        if region is None or not any(region.path.startswith(p) for p in admin_paths()):
            raise ValidationError(_("不能在您管辖范围以外的社区或区县操作"))

    def writable(self, model) -> bool:
        """Whether this admin may change this row (a city-wide row is only the city's)."""
        try:
            self._check_region(model)
        except ValidationError:
            return False
        return True

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        """Flask-Admin's edit page, for rows this admin may change; others get their details."""
        model = self.get_one(request.args.get("id", ""))
        if model is not None and not self.writable(model):
            flash(_("这条记录您只能查看，不能修改"), "warning")
            return redirect(self.get_url(".details_view", id=request.args.get("id")))
        return super().edit_view()

    # What a refused delete says when other rows still point at the row: a view whose rows
    # cannot be turned off says what to do instead.
    in_use_message = _l("还有其他记录用到它，不能删除；可以改为停用")

    def check(self, model, created: bool) -> None:
        """A view's own rules (raise Refused with field messages); runs before the save."""

    def on_model_change(self, form, model, is_created):
        self._check_region(model)
        self.check(model, is_created)

    def validate_form(self, form) -> bool:
        """Flask-Admin shows a field's errors only when they are `str`: a lazily translated
        message (a validator's, ours) is made text here, in the reader's language."""
        valid = super().validate_form(form)
        for field in form:
            if isinstance(field.errors, list):
                field.errors = [e if isinstance(e, (str, dict, list)) else str(e) for e in field.errors]
        return valid

    # -- saving: checked, audited once, refusals beside their field ------------------------
    def get_create_form(self):
        """The create form, carrying a one-time key (`ONCE`): Back and 保存 again sent the same
        form twice and made two news posts (the walk)."""
        form_class = super().get_create_form()
        setattr(form_class, ONCE, HiddenField())
        setattr(form_class, AGAIN, HiddenField())
        return form_class

    def create_form(self, obj=None):
        form = super().create_form(obj)
        once = getattr(form, ONCE, None)
        if once is not None and request.method == "GET":
            once.data = uuid.uuid4().hex
        return form

    def claim_once(self, form) -> None:
        """Spend the create form's key in the creating transaction; a key already spent is
        refused, so nothing is created twice. A form without one (an old page) is not guarded."""
        key = self._once_key(form)
        if key is None:
            return
        if self.session.get(ApiReplay, key) is not None:
            raise Refused("console.once")
        self.session.add(ApiReplay(key=key, fingerprint=self.model.__tablename__, status=201, body=""))

    def _once_key(self, form) -> str | None:
        once = getattr(form, ONCE, None)
        value = str(once.data or "")[:40] if once is not None else ""
        return f"console:{current_user.id}:{value}" if value else None

    def _spent_meanwhile(self, form) -> bool:
        """Whether a save refused by a constraint lost to the same form's other tap: a double
        tap's two requests both find the key unspent, and the second's insert of it fails.
        Read after the rollback, so the first tap's commit is seen."""
        key = self._once_key(form)
        return key is not None and self.session.get(ApiReplay, key) is not None

    # Fields a repeat need not match to be the same row again: those the server sets (a publish
    # time of "now") and files, which Back does not send again.
    repeat_ignores: tuple[str, ...] = ()

    def same_as_before(self, form, typed: dict[str, Any]) -> None:
        """The Back button fetches the form again (pages are not cached) with a new key, and the
        browser fills in what was typed: a second 保存 made a second news post (the walk). The
        same admin making the same row in this table within ten minutes is asked first; a second
        tap (`AGAIN`, set on the form shown with the question) makes it."""
        again = getattr(form, AGAIN, None)
        if again is None or again.data == "1":
            return
        fields = ({field.name for field in form} | set(typed)) - {"id", ONCE, AGAIN, READ_AS, "csrf_token"}
        recent = self.session.scalars(select(AuditLog).where(
            AuditLog.actor_id == current_user.id, AuditLog.table_name == self.model.__tablename__,
            AuditLog.action == "create", AuditLog.at >= utcnow() - REPEAT_WINDOW).order_by(AuditLog.id.desc()).limit(5))
        for row in recent:
            made = row.after or {}
            if all(made.get(name) == typed.get(name) for name in fields - set(self.repeat_ignores)):
                again.data = "1"
                raise Refused("console.twice", {"when": said_now(row.at)})

    def create_model(self, form):
        model = self.build_new_instance()
        form.populate_obj(model)
        return self._save(form, model, created=True)

    def get_edit_form(self):
        """The edit form, carrying what its fields showed when it was opened (`READ_AS`)."""
        form_class = super().get_edit_form()
        setattr(form_class, READ_AS, HiddenField())
        return form_class

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        seen = getattr(form, READ_AS, None)
        if seen is not None and obj is not None and request.method == "GET":
            seen.data = shown_as(form, obj)
        return form

    def update_model(self, form, model):
        seen = getattr(form, READ_AS, None)
        if seen is not None and seen.data:
            # the row as it is now, locked until the save commits (PostgreSQL; SQLite has one writer)
            self.session.refresh(model, with_for_update=True)
            if seen.data != shown_as(form, model):
                self.session.rollback()
                flash(_("没有保存：这条记录在您打开后已被修改。请重新打开它，看过最新的内容再改"), "error")
                return False
        form.populate_obj(model)
        return self._save(form, model, created=False)

    # Columns that what is going on with a row depends on (a booking's time, its community, who
    # answers it): changing one under live uses moved the list and left the uses behind, and
    # nobody was told (the walk). Refused beside the field while `live_uses` counts any, with
    # `held_message` (given %(n)s, the count) saying what to do instead.
    held_columns: tuple[str, ...] = ()
    held_message: Any = ""

    def live_uses(self, model) -> int:
        """How many live uses hold the row's `held_columns` (bookings not yet over)."""
        return 0

    def _check_held(self, model, changed: Mapping[str, Any]) -> None:
        moved = [name for name in self.held_columns if name in changed]
        if not moved:
            return
        with self.session.no_autoflush:  # the change stays pending: later checks read its history
            uses = self.live_uses(model)
        if uses:
            raise Refused("input", fields={moved[0]: str(self.held_message) % {"n": uses}})

    def prepare(self, form, model) -> None:
        """What the form's values mean for the row beyond its columns (立即发布 → the publish
        time), set before the change is read, so it is saved and audited as typed."""

    def _save(self, form, model, created: bool):
        session = self.session
        self.prepare(form, model)
        before, after = audit.diff(model, created)  # before anything can flush the history away
        try:
            if created:
                self.claim_once(form)
                session.add(model)
            else:
                self._check_held(model, after)
            self.on_model_change(form, model, created)
            if not created and not after:
                session.rollback()  # nothing changed: nothing to write, nothing to audit
                return True
            session.flush()  # a constraint's refusal first: it says more than "the same again?"
            if created:
                self.same_as_before(form, after)
                after = {k: v for k, v in audit.snapshot(model).items() if v is not None}
            audit.record(session, current_user.id, "create" if created else "update", self.model.__tablename__,
                         audit.row_id(model), before, after)
            session.commit()
        except (Refused, ValidationError, IntegrityError) as exc:
            session.rollback()
            if created and isinstance(exc, IntegrityError) and self._spent_meanwhile(form):
                exc = Refused("console.once")  # the other tap made it: not "已有同样的记录"
            self._explain(form, exc)
            return False
        self.after_model_change(form, model, created)
        return model if created else True

    def delete_model(self, model) -> bool:
        try:
            self._check_region(model)
            snapshot = audit.snapshot(model)
            row = audit.row_id(model)
            self.session.delete(model)
            self.session.flush()
            audit.record(self.session, current_user.id, "delete", self.model.__tablename__, row, snapshot, None)
            self.session.commit()
        except (ValidationError, IntegrityError) as exc:
            self.session.rollback()
            if isinstance(exc, IntegrityError):
                flash(str(self.in_use_message), "error")
            else:
                flash(str(exc), "error")
            return False
        return True

    def _explain(self, form, exc: Exception) -> None:
        """Put a refusal's sentences beside their fields (or at the top of the form)."""
        messages: dict[str | None, str]
        if isinstance(exc, Refused):
            fields = exc.fields_in(lang())
            # (a comprehension: a dict's key type does not widen from str to str | None)
            messages = {k: v for k, v in fields.items()} if fields else {None: exc.message(lang())}  # noqa: C416
        elif isinstance(exc, IntegrityError):
            field, message = self._integrity_message(exc)
            messages = {field: message}
        else:
            messages = {None: str(exc)}
        beside = False
        for field_name, message in messages.items():
            field = getattr(form, field_name, None) if field_name else None
            if field is not None and hasattr(field, "errors"):
                field.errors = [*list(field.errors or []), message]
                beside = True
            else:
                flash(message, "error")
        if beside:
            flash(str(_ADMIN_FLASHES["Failed to save record."]), "error")

    def _integrity_message(self, exc: IntegrityError) -> tuple[str | None, str]:
        """What a constraint refusal means, without SQL: by the constraint's name, else by the
        kind of constraint and its columns."""
        orig = exc.orig
        diag = getattr(orig, "diag", None)
        name = getattr(diag, "constraint_name", None) or ""
        text = str(orig)
        column = getattr(diag, "column_name", None)
        unique = re.search(r"UNIQUE constraint failed: ([\w., ]+)", text)
        columns = [c.split(".")[-1] for c in unique.group(1).split(", ")] if unique else self._columns_of(name)
        if not name:  # SQLite names a CHECK, but a UNIQUE only by its columns
            found = re.search(r"CHECK constraint failed: (\w+)", text)
            name = found.group(1) if found else self._named_by_columns(columns)
        for key, (field, message) in self.constraint_messages.items():
            if name == key or name.endswith(f"_{key}"):
                return field, str(message)
        if unique or "unique" in text.lower() or name.startswith("uq_"):
            field = columns[-1] if columns else None
            return field, _("已有同样的记录（%(what)s重复）", what="、".join(
                str(labels.COLUMNS.get(c, c)) for c in columns if c != "district_id") or _("内容"))
        missing = re.search(r"NOT NULL constraint failed: [\w]+\.(\w+)", text)
        if missing or column:
            return (missing.group(1) if missing else column), _("必填")
        if "foreign key" in text.lower():
            return None, _("关联的记录不存在或已删除")
        return None, _("保存失败：填写的内容不符合要求，请检查后再试")

    def _named_by_columns(self, columns: list[str]) -> str:
        table = self.model.__table__
        for item in list(table.constraints) + list(table.indexes):
            if item.name and [c.name for c in item.columns] == columns:
                return str(item.name)
        return ""

    def _columns_of(self, name: str) -> list[str]:
        table = self.model.__table__
        for item in list(table.constraints) + list(table.indexes):
            if item.name == name:
                return [c.name for c in item.columns]
        return []

    # -- history ---------------------------------------------------------------------------
    @expose("/history/")
    def history_view(self):
        """Every change of one row, newest first, with who, when, before and after."""
        model = self.get_one(request.args.get("id", ""))
        if model is None:
            abort(404)
        rows = audit.history(self.session, self.model.__tablename__, audit.row_id(model))
        people = {u.id: u for u in self.session.scalars(select(User).where(
            User.id.in_({r.actor_id for r in rows if r.actor_id})))}
        return self.render("console/history.html", model=model, rows=rows, people=people,
                           actions=labels.ACTIONS, columns=labels.COLUMNS, shown=audit_value)

    # -- bulk actions -------------------------------------------------------------------
    def for_each_row(self, ids, do: Callable[[Any], object], done_text: Any, refused_text: Any) -> None:
        """Apply `do` to each selected row the admin may see (through the domain, one
        transaction each), then say how many were done and why the others were not."""
        done, refused = 0, []
        for row_id in ids:
            row = self.get_one(row_id)
            if row is None:
                refused.append(_("#%(id)s：找不到", id=row_id))
                continue
            try:
                do(row)
                done += 1
            except Refused as exc:
                refused.append(f"#{row_id}：{refusal_text(exc)}")
        flash(str(done_text) % {"n": done} + (str(refused_text) % {"list": "；".join(refused[:20])} if refused else ""),
              "success" if not refused else "warning")

    # -- export --------------------------------------------------------------------------
    @expose("/export.xlsx")
    def export_xlsx(self):
        """The list as the admin sees it (same scope, filters and names), as an Excel file."""
        from openpyxl import Workbook

        view_args = self._get_list_extra_args()
        sort_column = self._get_column_by_idx(view_args.sort)
        if sort_column is not None:
            sort_column = sort_column[0]
        _count, rows = self.get_list(0, sort_column, view_args.sort_desc, view_args.search, view_args.filters,
                                     page_size=10_000, execute=True)
        columns = self.get_export_columns()
        # A file leaves the console: below the district, people's names and numbers go masked
        # (张* / 138****1234); the lists on screen stay whole for the admins who serve them.
        masked = actor().highest_admin_role() not in (Role.CITY_ADMIN, Role.DISTRICT_ADMIN)
        book = Workbook()
        sheet = book.active
        write_row(sheet, [str(label) for _name, label in columns])
        for row in rows:
            write_row(sheet, [export_cell(name, self.get_export_value(row, name), masked) for name, _label in columns])
        out = io.BytesIO()
        book.save(out)
        out.seek(0)
        return send_file(out, as_attachment=True, download_name=f"{self.model.__tablename__}.xlsx",
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# Flask-Admin 2.2.1's compiled Chinese catalogue lacks these two (its .po has them).
READ_AS = "yijia_read_as"  # the edit form's hidden field: a fingerprint of what it showed
ONCE = "yijia_once"  # the create form's hidden field: its one-time key
AGAIN = "yijia_again"  # set on a create form shown with "you made the same a moment ago": make it
REPEAT_WINDOW = timedelta(minutes=10)


def shown_as(form, model) -> str:
    """A fingerprint of the row as the form's fields show it (a value another writer changes
    that the form does not show, such as stock sold meanwhile, does not refuse the edit)."""
    shown = {name: _shown(getattr(model, name, None)) for name in sorted(form._fields)
             if name not in (READ_AS, "csrf_token")}
    text = json.dumps(shown, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _shown(value: Any) -> Any:
    """A field's value as plain data: a related row by its key, a list of them sorted."""
    if isinstance(value, list | set | tuple):
        return sorted(str(_shown(v)) for v in value)
    if hasattr(value, "__table__"):
        return audit.row_id(value)
    return audit.plain(value)


_ADMIN_FLASHES = {"Failed to create record.": _l("没有保存：请按标红的提示修改"),
                  "Failed to save record.": _l("没有保存：请按标红的提示修改")}


def _translate_flashes() -> None:
    flashes = flask_session.get("_flashes")
    if flashes and any(message in _ADMIN_FLASHES for _category, message in flashes):
        flask_session["_flashes"] = [(c, str(_ADMIN_FLASHES.get(m, m))) for c, m in flashes]


# Export columns that carry a person's name or number (by column name, across the views): the
# plain names, and every id column the console shows as 姓名（用户名） (admin/console/names.py).
PEOPLE_IDS = frozenset(column for column, formatter in names.BY_COLUMN.items() if formatter is names.user)
PERSONAL_NAMES = frozenset({"user.display_name", "display_name", "contact_name"}) | PEOPLE_IDS
PERSONAL_PHONES = frozenset({"phone", "contact_phone", "user.phone"})


def export_cell(column: str, value: Any, masked: bool) -> Any:
    """An exported cell, masked when it names a person or a number and the reader is below the
    district (flows/people/privacy.py)."""
    if not masked or not isinstance(value, str):
        return value
    if column in PEOPLE_IDS:
        return names.mask_user(value, mask_name)
    if column in PERSONAL_NAMES:
        return mask_name(value)
    if column in PERSONAL_PHONES:
        return mask_phone(value)
    return value


def write_row(sheet, values: list[Any]) -> None:
    """Append a row; text that a spreadsheet would take for a formula (= + - @, tab, CR at the
    start) is written as text, so an exported cell never runs."""
    sheet.append([_cell(v) for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
            cell.data_type = "s"


def _cell(value: Any) -> Any:
    value = audit.plain(value) if not isinstance(value, str) else value
    if isinstance(value, (list, dict)):
        return str(value)
    if value is not None and not isinstance(value, (str, int, float, bool)):
        return str(value)
    return value


def audit_value(value: Any) -> str:
    """A value of the audit trail as a person reads it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, str) and _STAMP.match(value):  # a time, kept as ISO text with its offset
        try:
            return local_minute(None, datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


# What audit.snapshot writes for a time: 2026-11-29T04:31:01.298980+00:00 (UTC), read as Beijing time.
_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)$")


class SecuredPage(SecuredMixin, BaseView):
    """A custom admin page (workflow editor, import, dashboard pieces)."""
