"""What people typed in a step (a rejection's reason, a service's note and hours), for the
demand's timeline: the step's form fields as the workflow names them, in its order.

Free text may hold names, phone numbers and addresses, so it is shown only to whom the
demand's personal data is shown (flows.people.privacy.sees_personal_data); numbers, ratings
and choices to everyone who may see the demand. Photos have their own place on the timeline;
who was picked (`member`) and the start form (the demand itself, shown above) are not notes.
"""
from __future__ import annotations

from typing import Any

from flows.workflow.compiled import CompiledWorkflow
from schemas.workflow import ChoiceField, IntegerField, NumberField, RatingField, StartStep, TextField

_SHOWN = (TextField, NumberField, IntegerField, RatingField, ChoiceField)


def step_notes(workflow: CompiledWorkflow, step: str, data: dict[str, Any] | None,
               personal: bool) -> list[tuple[str, str]]:
    """(field title, value) of what was typed in `step`'s form, as its event keeps it."""
    spec = workflow.spec.steps.get(step)
    form = getattr(spec, "form", None)
    if not form or isinstance(spec, StartStep) or not data:
        return []
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
