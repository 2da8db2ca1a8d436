"""YAML text → a validated, immutable compiled workflow, or every problem at once.

Three passes, each reporting all it finds with file, line and column: the safe YAML
loader, the pydantic schema, then the checks a reviewer would make (flows/workflow/checks:
structure, steps, forms, graph and liveness, one function per rule).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from flows.core import safe_yaml as yamlsafe
from flows.core.i18n import render
from flows.core.safe_yaml import Loaded, Problem, YamlRejected
from flows.workflow.checks import check
from flows.workflow.checks.base import Checker
from flows.workflow.compiled import CompiledWorkflow, build
from flows.workflow.diagrams.mermaid import diagram
from flows.workflow.inputs import error_params, field_errors, input_model
from schemas.workflow import DSL_VERSION, AutoStep, CompleteWith, HumanStep, PointBounds, WorkflowSpec


@dataclass(frozen=True)
class WorkflowInvalid(Exception):
    """The workflow cannot be compiled; `problems` lists every reason."""

    problems: tuple[Problem, ...]

    def __str__(self) -> str:
        return "\n".join(format_problem(p) for p in self.problems)


def format_problem(problem: Problem, locale: str = "zh") -> str:
    """`file:line:column: sentence`, the form editors and terminals understand."""
    return f"{problem.file}:{problem.line}:{problem.column}: {render(problem.code, problem.params, locale)}"


def compile_source(source: str | bytes, file: str = "<workflow>", *, max_bytes: int = 256 * 1024,
                   stored: bool = False, bounds: PointBounds | None = None) -> CompiledWorkflow:
    """Compile one workflow file, or raise `WorkflowInvalid` with every problem.

    `stored`: the text of a version already published, loaded to run its demands: only the
    checks the engine relies on run (the rules added since it was published, such as
    liveness, must not stop its demands; `registry.check_stored` reports them instead).
    `bounds`: the city's point bounds, which a version being published must keep
    (`registry.publish` and the console's editor pass them; flows/workflow/checks/points.py)."""
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
    problems = check(spec, loaded, strict=not stored, bounds=bounds)
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
    """SHA-256 of the canonical spec: the same workflow hashes the same however it is typed.

    Canonical means what the admin said, not what the DSL fills in: values equal to their
    defaults are left out, so adding a defaulted word to the DSL changes no stored hash. What
    the words mean is pinned by `DSL_VERSION`, hashed along (bump it when a default or a
    meaning changes, and only then)."""
    said = spec.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    canonical = json.dumps({"dsl": DSL_VERSION, "spec": said}, sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _schema_problems(exc: ValidationError, loaded: Loaded) -> list[Problem]:
    problems = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        line, column = loaded.locate(loc)
        params = error_params(error)
        where = loaded.path_of(loc)
        if error["type"] != "missing" and where and loc[-1] != where[-1]:
            params["field"] = where[-1]  # the key as written (`to`), never a union's tag (`one`, `many`)
        code = error["type"]
        typed = loaded.bool_texts.get(where)
        if code == "missing":
            code = "missing_key"  # in a file, say which key; a form shows it beside the field
        elif isinstance(error.get("input"), bool) and typed is not None:
            code, params = "yaml.bool_value", {"text": typed, "value": str(error["input"]).lower()}
        elif code not in _validation_codes():
            code, params = "yaml.syntax", {"detail": error["msg"]}
        problems.append(Problem(loaded.file, line, column, code, {**params, "path": ".".join(map(str, loc))}))
    return problems


def _validation_codes() -> set[str]:
    from flows.core.messages import VALIDATION

    return set(VALIDATION)


def _check_complete_with(spec: WorkflowSpec, inputs: dict, loaded: Loaded) -> list[Problem]:
    c = Checker(spec, loaded)
    for name, step in spec.steps.items():
        if isinstance(step, HumanStep) and step.sla and isinstance(step.sla.then, CompleteWith):
            try:
                inputs[name].model_validate(step.sla.then.complete_with)
            except ValidationError as exc:
                detail = "; ".join(f"{k}: {v}" for k, v in field_errors(exc).items())
                c.add(("steps", name, "sla", "then"), "wf.complete_with_invalid", detail=detail)
    return c.problems
