"""Plausible form values for a sample demand: the smallest valid answer to every field."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any


def sample(form: dict[str, Any], member_id: int, when: datetime) -> dict[str, Any]:
    """Values that pass the form's own checks. A demand's times start at `when` and last two
    hours, so steps bound to its time window (a sign-in) can be walked at `when`."""
    values: dict[str, Any] = {}
    for name, f in form.items():
        if not f.required and f.type in ("image", "location", "date", "member", "choice"):
            continue
        if f.type == "text":
            values[name] = ("示例" * max(1, f.min_length))[: f.max_length]
        elif f.type in ("number", "integer"):
            values[name] = _places(f) if name == "capacity" else _number(f)
        elif f.type == "choice":
            first = next(iter(f.choices))
            values[name] = [first] if f.multiple else first
        elif f.type == "datetime":
            values[name] = (when + timedelta(hours=2 if name == "ends_at" else 0)).isoformat()
        elif f.type == "date":
            values[name] = (when + timedelta(days=1)).date().isoformat()
        elif f.type == "location":
            values[name] = "47.72,128.84"
        elif f.type == "image":
            values[name] = "0" * 32 + ".png"
        elif f.type == "rating":
            values[name] = f.max
        elif f.type == "member":
            values[name] = member_id
    return values


# Room for everyone of the sample who may sign up (a member, a resident, a second of each...).
SAMPLE_PLACES = 5


def _places(f: Any) -> int:
    """A demand's capacity: enough places for the sample's people, within the field's bounds."""
    low = f.min if f.min is not None else 1
    wanted = max(low, SAMPLE_PLACES)
    return wanted if f.max is None else min(wanted, f.max)


def _number(f: Any) -> float | int:
    if f.default is not None:
        return f.default
    low = f.min if f.min is not None else 1
    return low if f.max is None else min(max(low, 1), f.max)
