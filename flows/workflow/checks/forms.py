"""Form constraints a person can satisfy and the database accepts: bounds in order, defaults
inside them, and the limits of the demand's own columns (capacity ≥ 1, title and place
lengths) enforced by the schema, so a published form can never lead to a refused INSERT."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flows.workflow.checks.base import Checker
from schemas.workflow import StartStep

# Limits the database puts on the demand columns a start form fills (schemas/tables/demands.py).
COLUMN_LENGTH = {"title": 128, "place": 255}
MIN_CAPACITY = 1  # CHECK (capacity >= 1)


def _fields(c: Checker) -> Iterator[tuple[str, Any, str, Any]]:
    for name, step in c.spec.steps.items():
        for field, spec in getattr(step, "form", {}).items():
            yield name, step, field, spec


def bounds_in_order(c: Checker) -> None:
    for name, _, field, spec in _fields(c):
        low, high = getattr(spec, "min", None), getattr(spec, "max", None)
        if low is not None and high is not None and low > high:
            c.add(("steps", name, "form", field), "wf.bounds", min=low, max=high)


def lengths_in_order(c: Checker) -> None:
    for name, _, field, spec in _fields(c):
        if spec.type == "text" and spec.min_length > spec.max_length:
            c.add(("steps", name, "form", field, "min_length"), "wf.length_bounds", field=field,
                  min_length=spec.min_length, max_length=spec.max_length)


def defaults_in_range(c: Checker) -> None:
    for name, _, field, spec in _fields(c):
        default = getattr(spec, "default", None)
        if default is None:
            continue
        low, high = getattr(spec, "min", None), getattr(spec, "max", None)
        if (low is not None and default < low) or (high is not None and default > high):
            c.add(("steps", name, "form", field, "default"), "wf.default_range", field=field, default=default,
                  min="…" if low is None else low, max="…" if high is None else high)


def capacity_at_least_one(c: Checker) -> None:
    """The demand's capacity column refuses 0: the form must not allow it."""
    for name, step, field, spec in _fields(c):
        if isinstance(step, StartStep) and field == "capacity" and spec.type == "integer":
            if spec.min is None or spec.min < MIN_CAPACITY:
                c.add(("steps", name, "form", field), "wf.capacity_min", field=field, least=MIN_CAPACITY)


def column_lengths(c: Checker) -> None:
    for name, step, field, spec in _fields(c):
        limit = COLUMN_LENGTH.get(field)
        if isinstance(step, StartStep) and limit and spec.type == "text" and spec.max_length > limit:
            c.add(("steps", name, "form", field, "max_length"), "wf.column_length", field=field, limit=limit)


def spans_name_a_moment(c: Checker) -> None:
    """`after` names another datetime field of the same form; `within` bounds a span, so it
    needs the `after` it is measured from."""
    for name, step, field, spec in _fields(c):
        if spec.type != "datetime":
            continue
        if spec.after is not None:
            other = step.form.get(spec.after)
            if spec.after == field or other is None or other.type != "datetime":
                c.add(("steps", name, "form", field, "after"), "wf.after_field", field=field, after=spec.after)
        elif spec.within is not None:
            c.add(("steps", name, "form", field, "within"), "wf.within_needs_after", field=field)


FORMS = (bounds_in_order, lengths_in_order, defaults_in_range, capacity_at_least_one, column_lengths,
         spans_name_a_moment)
