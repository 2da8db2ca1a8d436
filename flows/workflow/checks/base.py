"""What every check shares: the spec under review and the problems found, each placed at the
YAML node it is about (file, line, column), so an editor can point at it."""
from __future__ import annotations

from typing import Any

from flows.core.safe_yaml import Loaded, Problem
from schemas.workflow import AutoStep, HumanStep, StartStep, WorkflowSpec


class Checker:
    """Collects problems for one spec; `loaded` (when the spec came from a file) locates them."""

    def __init__(self, spec: WorkflowSpec, loaded: Loaded | None):
        self.spec, self.loaded = spec, loaded
        self.problems: list[Problem] = []

    def add(self, path: tuple[Any, ...], code: str, **params: Any) -> None:
        line, column = self.loaded.locate(path) if self.loaded else (1, 1)
        file = self.loaded.file if self.loaded else "<workflow>"
        self.problems.append(Problem(file, line, column, code, params))

    # -- views of the spec the rules share ------------------------------------------------
    def starts(self) -> dict[str, StartStep]:
        return {n: s for n, s in self.spec.steps.items() if isinstance(s, StartStep)}

    def humans(self) -> dict[str, HumanStep]:
        return {n: s for n, s in self.spec.steps.items() if isinstance(s, HumanStep)}

    def autos(self) -> dict[str, AutoStep]:
        return {n: s for n, s in self.spec.steps.items() if isinstance(s, AutoStep)}

    def is_terminal(self, state: str) -> bool:
        spec = self.spec.states.get(state)
        return bool(spec and spec.terminal)
