"""What is due before a demand's start: the reminders (`remind:`) and the confirmations of
claims (`confirm:`) a workflow asks for, planned from the demand's `starts_at` alone.

Nothing is stored ahead of time: a pass of `flows.engine.reminders.due` asks, for each demand
starting soon, which of its plans have come due now. Each plan carries the one-time key of the
event that carries it out, built from the demand, the plan and the start time it was computed
from: a moved start makes new keys (the reminder comes at the new time, the old one never
fires), and a demand that has left the states where the plan applies has no plans at all.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from flows.workflow.compiled import CompiledWorkflow
from schemas.workflow import ConfirmSpec, HumanStep, RemindSpec, StartStep

Kind = Literal["remind", "ask", "release"]


@dataclass(frozen=True)
class Plan:
    """One thing to do for one demand now: remind, ask claimants to confirm, or release the
    unconfirmed claims of the claim step `step`."""

    kind: Kind
    step: str
    key: str
    remind: RemindSpec | None = None
    confirm: ConfirmSpec | None = None


_AHEAD: dict[tuple[str, str], dict[str, frozenset[str]]] = {}


def ahead(workflow: CompiledWorkflow) -> dict[str, frozenset[str]]:
    """step → the states a demand can be in while the step is still ahead of it: the step's own
    states and every non-terminal state from which one of them can be reached (a reminder of
    the sign-in is sent while the activity is still recruiting, not after it has finished)."""
    key = (workflow.id, workflow.content_hash)
    found = _AHEAD.get(key)
    if found is not None:
        return found
    reverse: dict[str, set[str]] = {s: set() for s in workflow.spec.states}
    for step in workflow.spec.steps.values():
        if isinstance(step, StartStep) or step.to is None:
            continue
        for source in step.sources:
            if not workflow.is_terminal(source):
                reverse.setdefault(step.to, set()).add(source)
    result = {}
    for name, step in workflow.spec.steps.items():
        if isinstance(step, HumanStep) and step.remind:
            seen, queue = set(step.sources), list(step.sources)
            while queue:
                for earlier in reverse.get(queue.pop(), ()):
                    if earlier not in seen:
                        seen.add(earlier)
                        queue.append(earlier)
            result[name] = frozenset(s for s in seen if not workflow.is_terminal(s))
    if len(_AHEAD) > 256:  # versions are few; a bound keeps a long-lived worker small anyway
        _AHEAD.clear()
    _AHEAD[key] = result
    return result


def horizon(workflow: CompiledWorkflow) -> timedelta:
    """How long before the start the earliest plan of this workflow comes due (0: none)."""
    found = [timedelta(0)]
    for step in workflow.spec.steps.values():
        if isinstance(step, HumanStep):
            found += [r.before for r in step.remind or ()]
            found += [step.confirm.before] if step.confirm else []
    return max(found)


def _stamp(starts_at: datetime) -> str:
    return starts_at.strftime("%Y%m%dT%H%M%S")


def due(workflow: CompiledWorkflow, demand_id: int, state: str, starts_at: datetime, now: datetime) -> list[Plan]:
    """The plans of a demand in `state` starting at `starts_at` that have come due by `now`,
    releases first (a released place is not reminded). Nothing is due once the demand has
    started. Of a step's reminders only the latest due is sent: a worker back after a day
    away sends the two-hours-before reminder, not the stale day-before one as well."""
    if now >= starts_at:
        return []
    stamp, plans, reminders = _stamp(starts_at), [], []
    steps_ahead = ahead(workflow)
    for name, step in workflow.spec.steps.items():
        if not isinstance(step, HumanStep):
            continue
        if step.confirm and state in step.sources:
            asked = starts_at - step.confirm.before
            if now >= asked + step.confirm.release_if_unconfirmed:
                plans.append(Plan("release", name, f"release:{demand_id}:{name}:{stamp}", confirm=step.confirm))
            elif now >= asked:
                plans.append(Plan("ask", name, f"confirm:{demand_id}:{name}:{stamp}", confirm=step.confirm))
        if step.remind and state in steps_ahead.get(name, ()):
            come = [r for r in step.remind if now >= starts_at - r.before]
            if come:
                latest = min(come, key=lambda r: r.before)
                minutes = int(latest.before.total_seconds() // 60)
                reminders.append(Plan("remind", name, f"remind:{demand_id}:{name}:{minutes}:{stamp}", remind=latest))
    return plans + reminders
