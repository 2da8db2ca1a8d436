"""The event log and the outbox, written in the caller's transaction.

Every state change appends one event; events that Prefect must hear about also get an
outbox row, so a committed change is never lost on its way to the orchestrator.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from schemas.tables import Event, Outbox


def record(session: Session, *, subject: str, subject_id: int, step: str, from_state: str | None,
           to_state: str | None, actor_id: int | None, data: dict[str, Any] | None = None,
           demand_id: int | None = None, at: datetime | None = None, topic: str | None = None,
           payload: dict[str, Any] | None = None) -> Event:
    """Append an event (and an outbox row when `topic` is given); returns the event."""
    event = Event(subject=subject, subject_id=subject_id, step=step, from_state=from_state, to_state=to_state,
                  actor_id=actor_id, data=data or {}, demand_id=demand_id)
    if at is not None:
        event.at = at
    session.add(event)
    session.flush()
    if topic:
        body = {"event_id": event.id, "subject": subject, "subject_id": subject_id, "step": step,
                "from": from_state, "to": to_state, **(payload or {})}
        session.add(Outbox(event_id=event.id, topic=topic, demand_id=demand_id, payload=body))
    return event
