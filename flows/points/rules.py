"""Point rules as data: a district tunes its task types' base points, per-hour rate and rating
multipliers within the bounds the city sets (PointPolicy); the award reads them here.

A workflow's points rule with `base: task_type` is the one districts tune: the task type's
`per_hour` and `rating_factors`, when set, replace the workflow's own. Every rule is clamped to
the city's bounds at award time (the city may have tightened them since the type was saved or
the version published; publishing checks them too: flows/workflow/checks/points.py).
"""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.core.i18n import Message
from flows.core.refusals import Refused
from schemas.tables import PointPolicy, TaskType
from schemas.workflow import PointBounds, PointsRule

_BOUNDS = PointBounds()
DEFAULTS = {"max_base_points": _BOUNDS.max_base_points, "max_per_hour": _BOUNDS.max_per_hour,
            "max_rating_factor": _BOUNDS.max_rating_factor, "adjust_threshold": 100}
_PAIR = re.compile(r"^\s*([1-5])\s*[:：=]\s*(\d+(?:\.\d+)?)\s*$")


def policy(session: Session) -> PointPolicy:
    """The city's bounds (the migration creates the one row; defaults if it was removed)."""
    row = session.scalar(select(PointPolicy).order_by(PointPolicy.id).limit(1))
    return row if row is not None else PointPolicy(**DEFAULTS)


def effective(session: Session, rule: PointsRule, task_type: TaskType | None) -> tuple[PointsRule, int]:
    """The rule as this task type's district tuned it, and the base points to use; every rule,
    tuned or as its workflow says, held to the city's bounds in force (a version is checked
    against them when published, but the city may have tightened them since)."""
    bounds = policy(session)
    per_hour, by_rating = float(rule.per_hour), {int(k): float(v) for k, v in rule.by_rating.items()}
    base_points = task_type.default_points if task_type else 0
    if task_type is not None and rule.base == "task_type":
        if task_type.per_hour is not None:
            per_hour = float(task_type.per_hour)
        if task_type.rating_factors:
            by_rating = {int(k): float(v) for k, v in task_type.rating_factors.items()}
    changes: dict[str, Any] = {"per_hour": min(per_hour, float(bounds.max_per_hour)),
                               "by_rating": {k: min(v, float(bounds.max_rating_factor)) for k, v in by_rating.items()}}
    if isinstance(rule.base, int):
        changes["base"] = min(rule.base, int(bounds.max_base_points))
    else:
        base_points = min(base_points, bounds.max_base_points)
    return rule.model_copy(update=changes), base_points


def parse_factors(text: str | None) -> dict[str, float] | None:
    """'1:0, 2:0.5, 5:1.2' → {'1': 0.0, '2': 0.5, '5': 1.2}; blank → None (the workflow's own).

    Raises Refused with a field message for anything else."""
    text = (text or "").strip()
    if not text:
        return None
    factors: dict[str, float] = {}
    for part in re.split(r"[,，;；\s]+(?=[1-5]\s*[:：=])", text):
        match = _PAIR.match(part)
        if match is None:
            raise Refused("input", fields={"rating_factors": Message(
                "rules.factors_format", {"part": part.strip()[:20]})})
        factors[match.group(1)] = float(match.group(2))
    return dict(sorted(factors.items()))


def format_factors(factors: dict[str, Any] | None) -> str:
    """The inverse of parse_factors, for the form."""
    if not factors:
        return ""
    return ", ".join(f"{k}:{_number(v)}" for k, v in sorted(factors.items()))


def _number(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:g}"


def check_task_type(session: Session, task_type: TaskType) -> None:
    """Refuse values outside the city's bounds, each beside its field."""
    bounds = policy(session)
    fields: dict[str, Message] = {}
    if task_type.default_points is not None and task_type.default_points > bounds.max_base_points:
        fields["default_points"] = Message("rules.base_bound", {"limit": bounds.max_base_points})
    if task_type.per_hour is not None and not 0 <= task_type.per_hour <= bounds.max_per_hour:
        fields["per_hour"] = Message("rules.per_hour_bound", {"limit": _number(bounds.max_per_hour)})
    for value in (task_type.rating_factors or {}).values():
        if not 0 <= float(value) <= bounds.max_rating_factor:
            fields["rating_factors"] = Message("rules.factor_bound", {"limit": _number(bounds.max_rating_factor)})
    if fields:
        raise Refused("input", fields=fields)
