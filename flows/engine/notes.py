"""What people typed in a step (a rejection's reason, a service's note and hours), for the
demand's timeline: the step's form fields as the workflow names them, in its order.

Free text may hold names, phone numbers and addresses, so it is shown only to whom the
demand's personal data is shown (flows.people.privacy.sees_personal_data); numbers, ratings
and choices to everyone who may see the demand. Photos have their own place on the timeline;
who was picked (`member`) is not a note; the start form's fields are the demand itself, shown
above it, those of its own columns as the demand's and the rest (`start_notes`) beneath.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flows.workflow.compiled import CompiledWorkflow
from schemas.workflow import DEMAND_FIELDS, ChoiceField, IntegerField, NumberField, RatingField, StartStep, TextField

_SHOWN = (TextField, NumberField, IntegerField, RatingField, ChoiceField)


def step_notes(workflow: CompiledWorkflow, step: str, data: dict[str, Any] | None,
               personal: bool) -> list[tuple[str, str]]:
    """(field title, value) of what was typed in `step`'s form, as its event keeps it."""
    spec = workflow.spec.steps.get(step)
    form = getattr(spec, "form", None)
    if not form or isinstance(spec, StartStep) or not data:
        return []
    return _notes(form, data, personal)


def start_notes(workflow: CompiledWorkflow, data: dict[str, Any] | None, personal: bool) -> list[tuple[str, str]]:
    """(field title, value) of the start form's fields that are not the demand's own columns
    (a booking's 备注): kept in its `data` and, before, shown nowhere (the walk)."""
    if not data:
        return []
    fields: dict[str, Any] = {}
    mixed: set[str] = set()
    for spec in workflow.start_steps().values():
        for name, field in (spec.form or {}).items():
            if name in DEMAND_FIELDS:
                continue
            if type(fields.setdefault(name, field)) is not type(field):
                mixed.add(name)  # two starts, two meanings: which one wrote it is not known here
    return _notes({name: field for name, field in fields.items() if name not in mixed}, data, personal)


def _notes(form: Mapping[str, Any], data: dict[str, Any], personal: bool) -> list[tuple[str, str]]:
    notes = []
    for name, field in form.items():
        value = data.get(name)
        if value in (None, "", []) or not isinstance(field, _SHOWN):
            continue
        if isinstance(field, TextField):
            if not personal:
                continue
            text = str(value)
        elif isinstance(field, ChoiceField):
            chosen = value if isinstance(value, list) else [value]
            text = "、".join(field.choices.get(str(v), str(v)) for v in chosen)
        elif isinstance(field, NumberField):
            text = f"{float(value):g}"
        else:
            text = str(value)
        notes.append((field.title, text))
    return notes
