"""The city's point bounds hold for what a workflow file says, not only for the task types'
fields: a district's own version of a workflow cannot award more per hour, per rating or as a
fixed base than the city allows, nor let a service record more hours than a day holds.

The bounds are data the city edits (schemas.tables.PointPolicy), so the compiler is given
them by whoever publishes (`registry.publish`, the console's editor); a compile without
them (a version already published, loaded to run its demands) skips these checks, and the
award clamps to the bounds in force instead (flows.points.rules.effective)."""
from __future__ import annotations

from collections.abc import Iterator

from flows.workflow.checks.base import Checker
from schemas.workflow import AutoStep, HumanStep, PointBounds, PointsEffect, PointsRule


def _rules(c: Checker) -> Iterator[tuple[tuple, PointsRule]]:
    for name, step in c.spec.steps.items():
        if isinstance(step, AutoStep):
            for index, effect in enumerate(step.effects):
                if isinstance(effect, PointsEffect):
                    yield ("steps", name, "effects", index, "points"), effect.points


def points_within_bounds(c: Checker, bounds: PointBounds) -> None:
    for path, rule in _rules(c):
        if isinstance(rule.base, int) and rule.base > bounds.max_base_points:
            c.add(path + ("base",), "wf.points_base_bound", value=rule.base, limit=bounds.max_base_points)
        if rule.per_hour > bounds.max_per_hour:
            c.add(path + ("per_hour",), "wf.points_per_hour_bound", value=_number(rule.per_hour),
                  limit=_number(bounds.max_per_hour))
        for rating, factor in rule.by_rating.items():
            if factor > bounds.max_rating_factor:
                c.add(path + ("by_rating", rating), "wf.points_factor_bound", rating=rating, value=_number(factor),
                      limit=_number(bounds.max_rating_factor))


def hours_within_a_day(c: Checker, bounds: PointBounds) -> None:
    """A service record's hours (flows.engine.records) multiply the per-hour points: the
    field must say its maximum, and no more than the bound."""
    for name, step in c.spec.steps.items():
        if isinstance(step, HumanStep) and step.record == "service" and "hours" in step.form:
            high = getattr(step.form["hours"], "max", None)
            if high is None or high > bounds.max_service_hours:
                c.add(("steps", name, "form", "hours", "max") if high is not None else ("steps", name, "form", "hours"),
                      "wf.hours_bound", step=step.title, limit=_number(bounds.max_service_hours))


def _number(value: float) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:g}"


POINTS = (points_within_bounds, hours_within_a_day)
