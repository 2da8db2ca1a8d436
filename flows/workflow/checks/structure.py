"""Structure and graph: every state named exists, outcomes only on terminal states, a start
step and a terminal state exist, no step leaves a terminal state, every state is reachable and
can reach an ending, at most one automated step per state."""
from __future__ import annotations

from collections import deque

from flows.workflow.checks.base import Checker
from schemas.workflow import DEMAND_FIELDS, StartStep


def unknown_states(c: Checker) -> None:
    """`from:` and `to:` name states that exist."""
    for name, step in c.spec.steps.items():
        for key, values in (("from", getattr(step, "sources", ())), ("to", [getattr(step, "to", None)])):
            for state in values:
                if state is not None and state not in c.spec.states:
                    c.add(("steps", name, key), "wf.unknown_state", step=name, state=state)


def outcome_on_terminal_only(c: Checker) -> None:
    for name, state in c.spec.states.items():
        if state.outcome is not None and not state.terminal:
            c.add(("states", name, "outcome"), "wf.outcome_not_terminal", state=name)


def start_and_terminal_exist(c: Checker) -> None:
    # a start step into a state the workflow lacks is that step's problem (wf.unknown_state, at its
    # `to`), not a missing start: saying both sent an admin looking for a start step they had
    if not c.starts():
        c.add(("steps",), "wf.no_start")
    if not any(s.terminal for s in c.spec.states.values()):
        c.add(("states",), "wf.no_terminal")


def start_not_into_terminal(c: Checker) -> None:
    for name, step in c.starts().items():
        if c.is_terminal(step.to):
            c.add(("steps", name, "to"), "wf.start_into_terminal", step=name)


def never_leaves_terminal(c: Checker) -> None:
    for name, step in c.spec.steps.items():
        for source in getattr(step, "sources", ()):
            if c.is_terminal(source):
                c.add(("steps", name, "from"), "wf.leaves_terminal", step=name, state=source)


def demand_fields_typed(c: Checker) -> None:
    """A start form's field named like a demand column fills it, so it must have its type."""
    for name, step in c.starts().items():
        for field, spec in step.form.items():
            expected = DEMAND_FIELDS.get(field)
            if expected and spec.type != expected:
                c.add(("steps", name, "form", field, "type"), "wf.demand_field_type", field=field,
                      expected=expected)


def translated_names_known(c: Checker) -> None:
    """`en:` gives words only to what the workflow has: a state, a step, a step's field or one
    of a choice field's choices named there must exist (a misspelt name would read in Chinese
    without a word said)."""
    if c.spec.en is None:
        return
    for name in c.spec.en.states:
        if name not in c.spec.states:
            c.add(("en", "states", name), "wf.translation_unknown", what="states", name=name)
    for name, words in c.spec.en.steps.items():
        step = c.spec.steps.get(name)
        if step is None:
            c.add(("en", "steps", name), "wf.translation_unknown", what="steps", name=name)
            continue
        form = getattr(step, "form", {}) or {}
        for field in words.fields:
            if field not in form:
                c.add(("en", "steps", name, "fields", field), "wf.translation_unknown", what=f"steps.{name}.fields",
                      name=field)
        for field, choices in words.choices.items():
            known = getattr(form.get(field), "choices", None) or {}
            for choice in choices:
                if choice not in known:
                    c.add(("en", "steps", name, "choices", field, choice), "wf.translation_unknown",
                          what=f"steps.{name}.choices.{field}", name=choice)


STRUCTURE = (unknown_states, outcome_on_terminal_only, start_and_terminal_exist, start_not_into_terminal,
             never_leaves_terminal, demand_fields_typed, translated_names_known)


def edges(c: Checker) -> dict[str, set[str]]:
    """state → the states a step can move a demand to from it (start steps excluded)."""
    result: dict[str, set[str]] = {s: set() for s in c.spec.states}
    for step in c.spec.steps.values():
        if isinstance(step, StartStep) or step.to is None:
            continue
        for source in step.sources:
            result[source].add(step.to)
    return result


def reach(roots: set[str], graph: dict[str, set[str]]) -> set[str]:
    seen, queue = set(roots), deque(roots)
    while queue:
        for nxt in graph.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def reachable_and_finishable(c: Checker) -> None:
    """Every state can be reached from a start, and from every reached state an ending can."""
    graph = edges(c)
    reached = reach({s.to for s in c.starts().values()}, graph)
    for state in c.spec.states:
        if state not in reached:
            c.add(("states", state), "wf.unreachable", state=state)
    reverse: dict[str, set[str]] = {s: set() for s in c.spec.states}
    for source, targets in graph.items():
        for target in targets:
            reverse[target].add(source)
    can_finish = reach({s for s, spec in c.spec.states.items() if spec.terminal}, reverse)
    looping = auto_loop_states(c)  # said more precisely by the liveness rule on automated cycles
    for state in c.spec.states:
        if state in reached and state not in can_finish and state not in looping:
            c.add(("states", state), "wf.dead_end", state=state)


def auto_loop_states(c: Checker) -> set[str]:
    """States from which the automated steps alone lead round in a circle."""
    nxt = {s.from_: s.to for s in c.autos().values()}
    looping: set[str] = set()
    for origin in nxt:
        path, state = [], origin
        while state in nxt and state not in path:
            path.append(state)
            state = nxt[state]
        if state in path:
            looping.update(path)
    return looping


def one_auto_per_state(c: Checker) -> None:
    by_state: dict[str, list[str]] = {}
    for name, step in c.autos().items():
        by_state.setdefault(step.from_, []).append(name)
    for state, names in by_state.items():
        if len(names) > 1:
            c.add(("steps", names[1]), "wf.auto_twice", state=state, steps=", ".join(names))


GRAPH = (reachable_and_finishable, one_auto_per_state)
