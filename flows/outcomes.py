"""What an action answers: an Outcome when it was done, Refused when it was not."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .messages import render


@dataclass(frozen=True)
class Outcome:
    """A committed step: where the demand went and the event that records it."""

    demand_id: int
    step: str
    step_title: str
    from_state: str | None
    to_state: str
    state_title: str
    event_id: int

    def message(self, locale: str = "zh") -> str:
        return render("ok", {"step": self.step_title}, locale)


class Refused(Exception):
    """The action was not done, for a reason the user can read; nothing was written.

    `fields` maps form fields to sentences when the input was the problem.
    """

    def __init__(self, code: str, params: dict[str, Any] | None = None,
                 fields: dict[str, str] | None = None, fields_en: dict[str, str] | None = None):
        super().__init__(code)
        self.code = code
        self.params = params or {}
        self.fields = fields or {}
        self.fields_en = fields_en or {}

    def fields_in(self, locale: str) -> dict[str, str]:
        """Field errors in the user's language (Chinese unless English was given)."""
        return {**self.fields, **self.fields_en} if locale.startswith("en") else dict(self.fields)

    def message(self, locale: str = "zh") -> str:
        return render(self.code, self.params, locale)

    def __str__(self) -> str:
        extra = "; ".join(f"{k}: {v}" for k, v in self.fields.items())
        return f"{self.code}: {self.message('en')}" + (f" ({extra})" if extra else "")
