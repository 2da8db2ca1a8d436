"""The reviewer's checks of a schema-valid workflow, one function per rule, in passes: the
structure (states named exist, a start and an ending), each kind of step, the forms, the
graph, then liveness (someone can take every step; every state has a way on). A later pass
runs only when the passes it builds on found nothing, so one mistake gives one message,
not a cascade."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from flows.core.safe_yaml import Loaded, Problem
from flows.workflow.checks.base import Checker
from flows.workflow.checks.forms import FORMS, bounds_in_order
from flows.workflow.checks.liveness import FINAL, LIVENESS
from flows.workflow.checks.points import POINTS
from flows.workflow.checks.steps import PUBLISHING, STEPS
from flows.workflow.checks.structure import GRAPH, STRUCTURE
from schemas.workflow import PointBounds, WorkflowSpec

Rule = Callable[[Checker], None]


def _run(c: Checker, rules: Iterable[Rule]) -> int:
    before = len(c.problems)
    for rule in rules:
        rule(c)
    return len(c.problems) - before


def check(spec: WorkflowSpec, loaded: Loaded | None = None, *, strict: bool = True,
          bounds: PointBounds | None = None) -> list[Problem]:
    """Every problem of a schema-valid spec, each located at the node it is about, in file order.

    `strict=False` runs only what the engine needs to run a version already published (its
    shape, its graph, each kind of step): rules added since, such as liveness and the form
    constraints, are for publishing. `bounds`: the city's point bounds, checked when given
    (at publication; flows/workflow/checks/points.py)."""
    c = Checker(spec, loaded)
    structural = _run(c, STRUCTURE)
    _run(c, STEPS + (FORMS + PUBLISHING if strict else (bounds_in_order,)))  # confined to one step or field
    if bounds is not None:
        _run(c, [partial(rule, bounds=bounds) for rule in POINTS])
    if not structural:
        found = _run(c, GRAPH)
        if strict:
            found += _run(c, LIVENESS)
            if not found:
                _run(c, FINAL)
    return sorted(c.problems, key=lambda p: (p.line, p.column))
