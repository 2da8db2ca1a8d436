"""What a step answers when it was done."""
from __future__ import annotations

from dataclasses import dataclass

from flows.core.i18n import render


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
