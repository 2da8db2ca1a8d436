"""Step forms → pydantic input models, and validation errors → sentences per field.

A field added to a step's form in YAML becomes a field of the step's generated input model,
so the web form and the engine both pick it up with no code change.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import GenericAlias
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model
from pydantic_core import ErrorDetails, PydanticCustomError

from flows.core.i18n import Message
from flows.core.storage import is_storage_key
from flows.core.text import visible
from schemas import workflow as dsl
from schemas.clock import as_local


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not visible(value) else value


def _visible(value: Any) -> Any:
    return visible(value) if isinstance(value, str) else value


def _local_datetime(value: Any) -> Any:
    if isinstance(value, str) and value.strip():
        try:
            value = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
        except ValueError:
            return value  # pydantic reports datetime_parsing
    if isinstance(value, datetime) and value.tzinfo is None:
        return as_local(value)  # the programme runs in Heilongjiang: a time without a zone is Beijing time
    return value


def _location(value: Any) -> Any:
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",")]
        if len(parts) == 2:
            try:
                value = {"lat": float(parts[0]), "lng": float(parts[1])}
            except ValueError:
                pass
    if isinstance(value, dict) and set(value) == {"lat", "lng"}:
        try:
            lat, lng = float(value["lat"]), float(value["lng"])
        except (TypeError, ValueError):
            lat = lng = 999.0
        if -90 <= lat <= 90 and -180 <= lng <= 180:
            return {"lat": lat, "lng": lng}
    raise PydanticCustomError("yijia_location", "a location is 'lat,lng'", {})


def _image_key(value: Any) -> Any:
    if isinstance(value, str) and is_storage_key(value):
        return value
    raise PydanticCustomError("yijia_image", "upload an image", {})


def _field_type(field: Any) -> tuple[Any, dict[str, Any]]:
    """The Python type and Field() constraints for one form field."""
    if isinstance(field, dsl.TextField):
        bounds = {"min_length": max(field.min_length, 1 if field.required else 0), "max_length": field.max_length}
        return Annotated[str, BeforeValidator(_visible)], bounds
    if isinstance(field, dsl.NumberField):
        return float, {"ge": field.min, "le": field.max, "allow_inf_nan": False}
    if isinstance(field, dsl.IntegerField):
        return int, {"ge": field.min, "le": field.max}
    if isinstance(field, dsl.RatingField):
        return int, {"ge": field.min, "le": field.max}
    if isinstance(field, dsl.ChoiceField):
        # A Literal of the file's own choices, built at run time (a type checker cannot see it).
        choice = Literal.__getitem__(tuple(field.choices))
        return (GenericAlias(list, (choice,)) if field.multiple else choice), {}
    if isinstance(field, dsl.DateTimeField):
        return Annotated[datetime, BeforeValidator(_local_datetime)], {}
    if isinstance(field, dsl.DateField):
        return date, {}
    if isinstance(field, dsl.LocationField):
        return Annotated[dict[str, float], BeforeValidator(_location)], {}
    if isinstance(field, dsl.ImageField):
        return Annotated[str, BeforeValidator(_image_key)], {}
    if isinstance(field, dsl.MemberField):
        return int, {"ge": 1}
    raise TypeError(f"unknown field {field!r}")  # unreachable: the DSL union is closed


def input_model(name: str, form: dict[str, Any]) -> type[BaseModel]:
    """A strict, immutable model for one step's form."""
    fields: dict[str, Any] = {}
    for key, spec in form.items():
        typ, constraints = _field_type(spec)
        constraints = {k: v for k, v in constraints.items() if v is not None}
        default = getattr(spec, "default", None)
        if spec.required and default is None:
            fields[key] = (Annotated[typ, BeforeValidator(_blank_to_none)], Field(..., title=spec.title, **constraints))
        else:
            fields[key] = (Annotated[typ | None, BeforeValidator(_blank_to_none)],
                           Field(default, title=spec.title, **constraints))
    config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
    return create_model(name, __config__=config, **fields)


@dataclass(frozen=True)
class Words:
    """A workflow's own word (a field's title) in its two languages, written in the reader's
    when a message is rendered (flows.core.i18n.render)."""

    zh: str
    en: str

    def render(self, locale: str | None = None) -> str:
        return self.en if (locale or "").startswith("en") else self.zh


def span_messages(form: Mapping[str, Any], form_en: Mapping[str, Any], values: object) -> dict[str, Message]:
    """{field: message} for moments out of the order the form asks (`after`, `within`), beside
    the later field. Runs on values the input model already accepted (or on a demand's times
    moved by 改期, measured against its start form)."""
    result: dict[str, Message] = {}
    for key, spec in form.items():
        if not isinstance(spec, dsl.DateTimeField) or spec.after is None:
            continue
        end, start = getattr(values, key, None), getattr(values, spec.after, None)
        if not isinstance(end, datetime) or not isinstance(start, datetime):
            continue  # an optional field left blank: nothing to order
        other = form_en.get(spec.after)
        after = Words(form[spec.after].title, other.title if other is not None else form[spec.after].title)
        if end <= start:
            result[key] = Message("form.after", {"after": after})
        elif spec.within is not None and end - start > spec.within:
            hours = int(spec.within.total_seconds() // 3600)
            result[key] = (Message("form.within_days", {"after": after, "days": hours // 24}) if hours and hours % 24 == 0
                           else Message("form.within_hours", {"after": after, "hours": max(hours, 1)}))
    return result


def error_params(error: ErrorDetails | dict[str, Any]) -> dict[str, Any]:
    """Parameters for a pydantic error's sentence, from its context and location."""
    params = dict(error.get("ctx") or {})
    loc = error.get("loc") or ()
    if loc:
        params.setdefault("field", loc[-1])
    for key, value in list(params.items()):
        if isinstance(value, float) and value.is_integer():
            params[key] = int(value)  # "不能大于 12", not "12.0"
    for key in ("expected", "expected_tags"):
        if isinstance(params.get(key), str):
            params[key] = params[key].replace("'", "")
    return params


def field_messages(exc: ValidationError) -> dict[str, Message]:
    """{field: message} for a step form's validation error, first error per field."""
    result: dict[str, Message] = {}
    for error in exc.errors(include_url=False):
        loc = error.get("loc") or ("__all__",)
        key = str(loc[0])
        code = error["type"]
        if error.get("input") is None and code != "extra_forbidden":
            code = "missing"  # a blank required field reads better as "required" than "not text"
        if code not in _known():
            code, params = "invalid", {"detail": error.get("msg", "")}
        else:
            params = error_params(error)
        result.setdefault(key, Message(code, params))
    return result


def field_errors(exc: ValidationError, locale: str | None = None) -> dict[str, str]:
    """{field: sentence} in `locale` for a step form's validation error."""
    return {key: message.render(locale) for key, message in field_messages(exc).items()}


def _known() -> set[str]:
    from flows.core.messages import VALIDATION

    return set(VALIDATION)
