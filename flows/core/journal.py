"""The event log and the outbox, written in the caller's transaction.

Every state change appends one event; events that Prefect must hear about also get an
outbox row, so a committed change is never lost on its way to the orchestrator.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, bindparam, insert, text
from sqlalchemy.orm import Session

from schemas.clock import utcnow
from schemas.tables import Event, Outbox
from schemas.tables.base import UTCDateTime


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
    if topic and session.get_bind().dialect.name == "postgresql":
        # one round trip: the event and its outbox row in one statement (the outbox's copy of
        # the event id is added by the database)
        body = {"subject": subject, "subject_id": subject_id, "step": step, "from": from_state, "to": to_state,
                **(payload or {})}
        now = utcnow()
        return session.execute(_INSERT_EVENT_AND_OUTBOX, {
            "request_key": None, **values, "at": values.get("at") or now, "created_at": now, "topic": topic,
            "payload": body,
        }).scalar_one()
    event_id = session.execute(_INSERT_EVENT, values).scalar_one()
    if topic:
        body = {"event_id": event_id, "subject": subject, "subject_id": subject_id, "step": step,
                "from": from_state, "to": to_state, **(payload or {})}
        session.execute(_INSERT_OUTBOX, {"event_id": event_id, "topic": topic, "demand_id": demand_id, "payload": body})
    return event_id


_INSERT_EVENT = insert(Event.__table__).returning(Event.__table__.c.id)
_INSERT_OUTBOX = insert(Outbox.__table__)
# PostgreSQL only (SQLite has no INSERT in a WITH): written once as SQL, like the actor's rows.
_INSERT_EVENT_AND_OUTBOX = text("""
    WITH e AS (
        INSERT INTO events (demand_id, subject, subject_id, step, from_state, to_state, actor_id, data, at, request_key)
        VALUES (:demand_id, :subject, :subject_id, :step, :from_state, :to_state, :actor_id, :data, :at, :request_key)
        RETURNING id)
    INSERT INTO outbox (event_id, topic, demand_id, payload, attempts, created_at)
    SELECT e.id, :topic, :demand_id, CAST(CAST(:payload AS jsonb) || jsonb_build_object('event_id', e.id) AS json), 0,
           :created_at
      FROM e
    RETURNING event_id
""").bindparams(bindparam("data", type_=JSON), bindparam("payload", type_=JSON), bindparam("at", type_=UTCDateTime()),
   bindparam("created_at", type_=UTCDateTime()))
