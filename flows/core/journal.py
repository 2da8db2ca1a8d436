"""The event log and the outbox, written in the caller's transaction.

Every state change appends one event; events that Prefect must hear about also get an
outbox row, so a committed change is never lost on its way to the orchestrator.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from schemas.tables import Event, Outbox


def record(session: Session, *, subject: str, subject_id: int, step: str, from_state: str | None,
           to_state: str | None, actor_id: int | None, data: dict[str, Any] | None = None,
           demand_id: int | None = None, at: datetime | None = None, topic: str | None = None,
           payload: dict[str, Any] | None = None, request_key: str | None = None) -> int:
    """Append an event (and an outbox row when `topic` is given); returns the event's id.

    Plain INSERTs on the tables, built once, rather than ORM objects: nothing reads these
    rows back in the action, and the unit of work and statement building cost more than the
    writes themselves on the claim path (profiled).
    """
    session.flush()  # rows the caller added (a demand, a record) must exist before the event names them
    values: dict[str, Any] = {"subject": subject, "subject_id": subject_id, "step": step, "from_state": from_state,
                                  "to_state": to_state, "actor_id": actor_id, "data": data or {}, "demand_id": demand_id}
    if at is not None:
        values["at"] = at
    if request_key is not None:  # unique: the same form sent twice fails here and is answered as a replay
        values["request_key"] = request_key
    event_id = session.execute(_INSERT_EVENT, values).scalar_one()
    if topic:
        body = {"event_id": event_id, "subject": subject, "subject_id": subject_id, "step": step,
                "from": from_state, "to": to_state, **(payload or {})}
        session.execute(_INSERT_OUTBOX, {"event_id": event_id, "topic": topic, "demand_id": demand_id, "payload": body})
    return event_id


_INSERT_EVENT = insert(Event.__table__).returning(Event.__table__.c.id)
_INSERT_OUTBOX = insert(Outbox.__table__)
