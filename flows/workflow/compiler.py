"""YAML text → a validated, immutable compiled workflow, or every problem at once.

Three passes, each reporting all it finds with file, line and column: the safe YAML
loader, the pydantic schema, then the checks a reviewer would make of the graph and the
rules (reachability, dead ends, terminal states left, claims, SLAs, field types).
"""
from __future__ import annotations

import hashlib
import json
from collections import deque
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from flows.core.i18n import render
from flows.workflow import safe_yaml as yamlsafe
from flows.workflow.compiled import CompiledWorkflow, build
from flows.workflow.diagrams.mermaid import diagram
from flows.workflow.inputs import error_params, field_errors, input_model
from flows.workflow.safe_yaml import Loaded, Problem, YamlRejected
from schemas.workflow import DEMAND_FIELDS, AutoStep, CompleteWith, HumanStep, StartStep, WorkflowSpec


@dataclass(frozen=True)
class WorkflowInvalid(Exception):
    """The workflow cannot be compiled; `problems` lists every reason."""

    problems: tuple[Problem, ...]

    def __str__(self) -> str:
        return "\n".join(format_problem(p) for p in self.problems)


def format_problem(problem: Problem, locale: str = "zh") -> str:
    """`file:line:column: sentence`, the form editors and terminals understand."""
    return f"{problem.file}:{problem.line}:{problem.column}: {render(problem.code, problem.params, locale)}"


def compile_source(source: str | bytes, file: str = "<workflow>", *, max_bytes: int = 256 * 1024) -> CompiledWorkflow:
    """Compile one workflow file, or raise `WorkflowInvalid` with every problem."""
    try:
        loaded = yamlsafe.load(source, file, max_bytes=max_bytes)
    except YamlRejected as exc:
        raise WorkflowInvalid(tuple(exc.problems)) from None
    if not isinstance(loaded.data, dict):
        raise WorkflowInvalid((Problem(file, 1, 1, "yaml.not_mapping"),))
    try:
        spec = WorkflowSpec.model_validate(loaded.data)
    except ValidationError as exc:
        raise WorkflowInvalid(tuple(_schema_problems(exc, loaded))) from None
    problems = check(spec, loaded)
    if problems:
        raise WorkflowInvalid(tuple(problems))
    inputs = {name: input_model(f"{spec.id}__{name}", step.form)
              for name, step in spec.steps.items() if not isinstance(step, AutoStep)}
    problems = _check_complete_with(spec, inputs, loaded)
    if problems:
        raise WorkflowInvalid(tuple(problems))
    return build(spec, file, content_hash(spec), inputs, diagram(spec))


def validate_source(source: str | bytes, file: str = "<workflow>", **kw: Any) -> list[Problem]:
    """Every problem of a workflow file; empty when it compiles."""
    try:
        compile_source(source, file, **kw)
    except WorkflowInvalid as exc:
        return list(exc.problems)
    return []


def content_hash(spec: WorkflowSpec) -> str:
    """SHA-256 of the canonical spec: the same workflow hashes the same however it is typed."""
    canonical = json.dumps(spec.model_dump(mode="json", by_alias=True), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _schema_problems(exc: ValidationError, loaded: Loaded) -> list[Problem]:
    problems = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        line, column = loaded.locate(loc)
        params = error_params(error)
        code = error["type"]
        if code == "missing":
            code = "missing_key"  # in a file, say which key; a form shows it beside the field
        elif code not in _validation_codes():
            code, params = "yaml.syntax", {"detail": error["msg"]}
        problems.append(Problem(loaded.file, line, column, code, {**params, "path": ".".join(map(str, loc))}))
    return problems


def _validation_codes() -> set[str]:
    from flows.core.messages import VALIDATION

    return set(VALIDATION)


class _Checker:
    """Collects graph and rule problems, each placed at the YAML node it is about."""

    def __init__(self, spec: WorkflowSpec, loaded: Loaded | None):
        self.spec, self.loaded = spec, loaded
        self.problems: list[Problem] = []

    def add(self, path: tuple, code: str, **params: Any) -> None:
        line, column = self.loaded.locate(path) if self.loaded else (1, 1)
        file = self.loaded.file if self.loaded else "<workflow>"
        self.problems.append(Problem(file, line, column, code, params))


def check(spec: WorkflowSpec, loaded: Loaded | None = None) -> list[Problem]:
    """The reviewer's checks of a schema-valid spec."""
    c = _Checker(spec, loaded)
    states, steps = spec.states, spec.steps
    edges: dict[str, set[str]] = {s: set() for s in states}
    starts: set[str] = set()
    for name, state in states.items():
        if state.outcome is not None and not state.terminal:
            c.add(("states", name, "outcome"), "wf.outcome_not_terminal", state=name)
    for name, step in steps.items():
        _check_refs(c, name, step, states)
        targets = [step.to] if getattr(step, "to", None) else []
        if isinstance(step, StartStep):
            if step.to in states:
                starts.add(step.to)
                if states[step.to].terminal:
                    c.add(("steps", name, "to"), "wf.start_into_terminal", step=name)
            continue
        for source in step.sources:
            if source in states and states[source].terminal:
                c.add(("steps", name, "from"), "wf.leaves_terminal", step=name, state=source)
            if source in edges:
                edges[source].update(t for t in targets if t in states)
        _check_step_rules(c, name, step, spec)
    if not starts:
        c.add(("steps",), "wf.no_start")
    if not any(s.terminal for s in states.values()):
        c.add(("states",), "wf.no_terminal")
    if c.problems:
        return c.problems
    _check_graph(c, states, edges, starts)
    _check_auto(c, steps)
    return c.problems


def _check_refs(c: _Checker, name: str, step: Any, states: dict) -> None:
    for key, values in (("from", getattr(step, "sources", ())), ("to", [getattr(step, "to", None)])):
        for state in values:
            if state is not None and state not in states:
                c.add(("steps", name, key), "wf.unknown_state", step=name, state=state)
    for field, spec in getattr(step, "form", {}).items():
        expected = DEMAND_FIELDS.get(field)
        if isinstance(step, StartStep) and expected and spec.type != expected:
            c.add(("steps", name, "form", field, "type"), "wf.demand_field_type", field=field, expected=expected)
        low, high = getattr(spec, "min", None), getattr(spec, "max", None)
        if low is not None and high is not None and low > high:
            c.add(("steps", name, "form", field), "wf.bounds", min=low, max=high)


def _check_step_rules(c: _Checker, name: str, step: Any, spec: WorkflowSpec) -> None:
    claims = [s.claim for s in spec.steps.values() if isinstance(s, HumanStep) and s.claim]
    holders = {cl.holder for cl in claims}
    assigns = any(isinstance(s, HumanStep) and s.record == "assign" for s in spec.steps.values())
    if isinstance(step, HumanStep):
        if step.claim and step.claim.capacity == 1 and (step.to is None or step.to in step.sources):
            c.add(("steps", name, "claim"), "wf.one_winner_needs_move", step=name)
        rating = step.form.get("rating")
        if step.record == "evaluation" and (rating is None or rating.type != "rating"):
            c.add(("steps", name, "record"), "wf.evaluation_needs_rating", step=name)
        assignee = step.form.get("assignee")
        if step.record == "assign" and (assignee is None or assignee.type != "member"):
            c.add(("steps", name, "record"), "wf.assign_needs_member", step=name)
        if step.record == "booking":
            c.add(("steps", name, "record"), "wf.booking_on_start", step=name)
        if step.by.relation == "claimant" and not holders and not assigns:
            c.add(("steps", name, "by"), "wf.needs_claim_step", step=name, what="claimant")
        if step.sla and step.sla.then == "cancel" and not any(
                s.terminal and s.outcome == "cancelled" for s in spec.states.values()):
            c.add(("steps", name, "sla", "then"), "wf.cancel_needs_state", step=name)
        if step.sla and isinstance(step.sla.then, CompleteWith):
            for field in step.sla.then.complete_with:
                if field not in step.form:
                    c.add(("steps", name, "sla", "then", "complete_with", field), "wf.complete_with_unknown",
                          step=name, field=field)
    if isinstance(step, AutoStep):
        for i, effect in enumerate(step.effects):
            rule = getattr(effect, "points", None)
            if rule and rule.to in ("claimant", "participants") and "member" not in holders and not assigns:
                c.add(("steps", name, "effects", i), "wf.needs_claim_step", step=name, what=rule.to)
            if rule and rule.to == "org" and "org" not in holders:
                c.add(("steps", name, "effects", i), "wf.needs_claim_step", step=name, what="org")


def _check_graph(c: _Checker, states: dict, edges: dict[str, set[str]], starts: set[str]) -> None:
    reached = _reach(starts, edges)
    for state in states:
        if state not in reached:
            c.add(("states", state), "wf.unreachable", state=state)
    reverse: dict[str, set[str]] = {s: set() for s in states}
    for source, targets in edges.items():
        for target in targets:
            reverse[target].add(source)
    can_finish = _reach({s for s, spec in states.items() if spec.terminal}, reverse)
    for state in states:
        if state in reached and state not in can_finish:
            c.add(("states", state), "wf.dead_end", state=state)


def _reach(roots: set[str], edges: dict[str, set[str]]) -> set[str]:
    seen, queue = set(roots), deque(roots)
    while queue:
        for nxt in edges.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _check_auto(c: _Checker, steps: dict) -> None:
    by_state: dict[str, list[str]] = {}
    for name, step in steps.items():
        if isinstance(step, AutoStep):
            by_state.setdefault(step.from_, []).append(name)
    for state, names in by_state.items():
        if len(names) > 1:
            c.add(("steps", names[1]), "wf.auto_twice", state=state, steps=", ".join(names))


def _check_complete_with(spec: WorkflowSpec, inputs: dict, loaded: Loaded) -> list[Problem]:
    c = _Checker(spec, loaded)
    for name, step in spec.steps.items():
        if isinstance(step, HumanStep) and step.sla and isinstance(step.sla.then, CompleteWith):
            try:
                inputs[name].model_validate(step.sla.then.complete_with)
            except ValidationError as exc:
                detail = "; ".join(f"{k}: {v}" for k, v in field_errors(exc).items())
                c.add(("steps", name, "sla", "then"), "wf.complete_with_invalid", detail=detail)
    return c.problems
