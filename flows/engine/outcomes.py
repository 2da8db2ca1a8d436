"""What a step answers when it was done."""
from __future__ import annotations

from dataclasses import dataclass

from flows.core.i18n import render


@dataclass(frozen=True)
class Outcome:
    """A committed step: where the demand went and the event that records it.

    `replayed`: the same form (one-time key) had already been done; this is the first
    outcome again, and nothing was changed this time."""

    demand_id: int
    step: str
    step_title: str
    from_state: str | None
    to_state: str
    state_title: str
    event_id: int
    replayed: bool = False

    def message(self, locale: str = "zh") -> str:
        if self.replayed:
            return render("replayed", {"step": self.step_title}, locale)
        return render("ok", {"step": self.step_title}, locale)
