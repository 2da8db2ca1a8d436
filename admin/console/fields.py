"""Form fields that show the stored value and give it back unchanged when nothing was edited.

Flask-Admin's own enum field coerces with the member's *name* against choices made of its
*value*, so nothing was ever selected and the browser saved the first option: a task type's
category, a shop item's 限兑周期 and a business's kind changed on every save. Times are shown in
Beijing time to the minute and a save that does not touch them keeps the seconds stored.
Foreign keys are choices filled per request from the admin's own region.
"""
from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime
from typing import Any

import wtforms
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.contrib.sqla.typefmt import DEFAULT_FORMATTERS
from flask_admin.model.form import converts
from flask_babel import gettext as _
from markupsafe import Markup, escape
from wtforms import FileField, FloatField, SelectField, StringField
from wtforms.validators import InputRequired, Optional, ValidationError

from admin.console.labels import enum_choices
from admin.params import to_id
from flows.core.refusals import Refused
from flows.points import rules
from schemas.clock import LOCAL_TZ, as_local

Choices = Callable[[], list[tuple[Any, str]]]


class EnumSelectField(SelectField):
    """A select of an enum's values with their labels; the current value is selected."""

    def __init__(self, label=None, validators=None, enum_class: type[enum.Enum] | None = None,
                 allow_blank: bool = False, **kwargs):
        assert enum_class is not None
        self.enum_class, self.allow_blank = enum_class, allow_blank
        super().__init__(label, validators, coerce=self._coerce, choices=[], **kwargs)

    def _labelled(self) -> list[tuple[str, str]]:
        return ([("", "—")] if self.allow_blank else []) + enum_choices(self.enum_class)

    def _coerce(self, value: Any) -> enum.Enum | None:
        if value is None or value == "":
            return None
        return value if isinstance(value, self.enum_class) else self.enum_class(value)

    def iter_choices(self):
        for value, label in self._labelled():
            yield value, label, self.data is not None and value == self.data.value, {}

    def pre_validate(self, form) -> None:
        if self.data is None and not self.allow_blank:
            raise ValidationError(_("请选择"))

    def process_formdata(self, valuelist) -> None:
        if valuelist:
            try:
                self.data = self._coerce(valuelist[0])
            except ValueError:
                self.data = None
                raise ValueError(_("请从选项中选择")) from None


class TextAreaField(wtforms.TextAreaField):
    """Multi-line text; browsers send CRLF line ends, stored text has LF, so an unchanged
    paragraph stays unchanged."""

    def process_formdata(self, valuelist) -> None:
        super().process_formdata(valuelist)
        text: Any = getattr(self, "data", None)
        if isinstance(text, str):
            self.data = text.replace("\r\n", "\n").replace("\r", "\n")

    def populate_obj(self, obj, name) -> None:
        if not self.data and getattr(obj, name, None) is None:
            return  # left empty: still nothing, not an empty text
        setattr(obj, name, self.data)


class LocalDateTimeField(StringField):
    """A time typed in Beijing time (`2026-11-25 09:00`), stored in UTC; a save that leaves the
    minute as shown keeps the stored value (seconds included)."""

    FORMAT = "%Y-%m-%d %H:%M"

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"placeholder": "2026-11-25 09:00", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return as_local(self.data).strftime(self.FORMAT) if isinstance(self.data, datetime) else ""

    def process_formdata(self, valuelist) -> None:
        text = (valuelist[0] if valuelist else "").strip().replace("T", " ")
        if not text:
            self.data = None
            return
        try:
            self.data = datetime.strptime(text[:16], self.FORMAT).replace(tzinfo=LOCAL_TZ)
        except ValueError:
            self.data = None
            raise ValueError(_("请按“2026-11-25 09:00”的格式填写时间")) from None

    def populate_obj(self, obj, name) -> None:
        stored = getattr(obj, name, None)
        if isinstance(stored, datetime) and isinstance(self.data, datetime):
            shown = as_local(stored).replace(second=0, microsecond=0)
            if shown == self.data.astimezone(LOCAL_TZ):
                return  # unchanged to the minute: keep what is stored
        setattr(obj, name, self.data)


class ChoiceIdField(SelectField):
    """A foreign key as a choice among rows the admin may use, listed per request by `choices`
    (a function: the admin's region decides); any other id is refused, never saved."""

    def __init__(self, label=None, validators=None, choices: Choices | None = None,
                 allow_blank: bool | Callable[[], bool] = False, blank_text: Any = "—", **kwargs):
        self.allowed = choices or (lambda: [])
        self._blank, self.blank_text = allow_blank, blank_text
        super().__init__(label, validators, coerce=_to_id, choices=[], **kwargs)

    @property
    def allow_blank(self) -> bool:
        """Whether "none" may be chosen (a callable: decided per request, e.g. by role)."""
        return bool(self._blank()) if callable(self._blank) else self._blank

    def _listed(self) -> list[tuple[Any, str]]:
        return ([("", str(self.blank_text))] if self.allow_blank else []) + list(self.allowed())

    def iter_choices(self):
        for value, label in self._listed():
            yield value, label, value != "" and value == self.data, {}

    def process_formdata(self, valuelist) -> None:
        self.data = _to_id(valuelist[0]) if valuelist else None

    def pre_validate(self, form) -> None:
        if self.data is None:
            if self.allow_blank:
                return
            raise ValidationError(_("请选择"))
        if self.data not in {value for value, _ in self.allowed()}:
            raise ValidationError(_("请从您管辖范围内的选项中选择"))


def _to_id(value: Any) -> Any:
    if value in (None, ""):
        return None
    if isinstance(value, int):
        return value
    number = to_id(value)  # an id; any other text (a workflow id) stays text
    return number if number is not None else str(value)


class FactorsField(StringField):
    """Rating multipliers as `1:0, 3:0.8, 5:1.2` (blank: the workflow's own)."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return rules.format_factors(self.data)

    def process_formdata(self, valuelist) -> None:
        try:
            self.data = rules.parse_factors(valuelist[0] if valuelist else "")
        except Refused as exc:
            self.data = None
            raise ValueError(next(iter(exc.fields.values()))) from None


class PictureField(FileField):
    """A picture upload: kept through `flows.core.storage` (checked by content); leaving it
    empty keeps the current picture. The key is stored, the preview shown beside it."""

    def __init__(self, label=None, validators=None, save: Callable[[bytes], str] | None = None, **kwargs):
        kwargs.setdefault("render_kw", {"accept": "image/jpeg,image/png,image/webp"})
        super().__init__(label, validators or [Optional()], **kwargs)
        self.save = save
        self.upload: bytes | None = None

    def process_formdata(self, valuelist) -> None:
        upload = valuelist[0] if valuelist else None
        self.upload = upload.read() if upload is not None and getattr(upload, "filename", None) else None

    def process_data(self, value) -> None:
        self.data = value

    def post_validate(self, form, validation_stopped: bool) -> None:
        if self.upload and self.save is not None:
            from flows.core.storage import StorageRefused

            try:
                self.data = self.save(self.upload)
            except StorageRefused as exc:
                errors: list[Any] = list(getattr(self, "errors", None) or [])
                self.errors = [*errors, exc.message]

    def populate_obj(self, obj, name) -> None:
        if self.upload and self.data:
            setattr(obj, name, self.data)

    def __call__(self, **kwargs) -> Markup:
        preview = ""
        if isinstance(self.data, str) and self.data:
            preview = f'<div class="mb-1"><img src="/media/{escape(self.data)}" alt="" style="max-height:120px"></div>'
        return Markup(preview) + super().__call__(**kwargs)


class ConsoleConverter(AdminModelConverter):
    """Flask-Admin's converter, with our enum and time fields."""

    @converts("sqlalchemy.sql.sqltypes.Enum")
    def convert_enum(self, column, field_args, **extra):
        field_args["validators"] = [v for v in field_args.get("validators", []) if not isinstance(v, InputRequired)]
        field_args.pop("allow_blank", None)
        return EnumSelectField(enum_class=column.type.enum_class, allow_blank=bool(column.nullable), **field_args)

    @converts("Text")
    def conv_Text(self, field_args, **extra):
        self._string_common(field_args=field_args, **extra)
        return TextAreaField(**field_args)

    @converts("Float", "Double")  # SQLAlchemy 2.1's Float is no Numeric: Flask-Admin has no field for it
    def convert_float(self, field_args, **extra):
        return FloatField(**field_args)

    @converts("UTCDateTime")
    def convert_utc_datetime(self, field_args, **extra):
        return LocalDateTimeField(**field_args)


def local_minute(view, value: datetime, name: str | None = None) -> str:
    """A stored UTC time as Beijing time to the minute (lists, details, exports)."""
    return as_local(value).strftime("%Y-%m-%d %H:%M")


def type_formatters(enum_label: Callable[[enum.Enum], str]) -> dict[type, Callable]:
    """Flask-Admin's type formatters plus ours: enums by label, times local to the minute."""
    formatters = dict(DEFAULT_FORMATTERS)
    formatters[datetime] = local_minute
    formatters[enum.Enum] = lambda view, value, name=None: enum_label(value)
    formatters[list] = lambda view, value, name=None: "、".join(str(v) for v in value)
    return formatters


__all__ = ["ChoiceIdField", "ConsoleConverter", "EnumSelectField", "FactorsField", "LocalDateTimeField", "PictureField",
           "TextAreaField", "local_minute", "type_formatters"]
