"""The event log and its outbox: on PostgreSQL the two rows are one statement; on both engines
the outbox row carries the event's id in its column and its payload, and the request key is
unique (the same form sent twice is one event)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError

from flows.core import journal
from schemas.clock import utcnow
from schemas.tables import Event, Outbox


def test_an_event_and_its_outbox_row(factory):
    then = utcnow() - timedelta(days=3)  # an action's own time (a back-dated import, a test's clock)
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    with factory() as s, s.begin():
        engine = s.get_bind().engine
        event.listen(engine, "before_cursor_execute", seen)
        try:
            event_id = journal.record(s, subject="demand", subject_id=7, step="claim", from_state="open",
                                      to_state="claimed", actor_id=None, data={"hours": 2}, at=then,
                                      topic="yijia.demand", payload={"demand": 7}, request_key="k-1")
            quiet = journal.record(s, subject="demand", subject_id=7, step="note", from_state=None, to_state=None,
                                   actor_id=None)
        finally:
            event.remove(engine, "before_cursor_execute", seen)
    with factory() as s:
        row = s.get(Event, event_id)
        assert (row.step, row.to_state, row.data, row.request_key, row.at) == ("claim", "claimed", {"hours": 2}, "k-1",
                                                                              then)
        (box,) = s.scalars(select(Outbox).where(Outbox.event_id == event_id))
        assert box.payload == {"event_id": event_id, "subject": "demand", "subject_id": 7, "step": "claim",
                               "from": "open", "to": "claimed", "demand": 7}
        assert box.topic == "yijia.demand" and box.attempts == 0 and box.delivered_at is None
        assert abs((box.created_at - utcnow()).total_seconds()) < 60  # when it was written, not the action's time
        assert s.scalar(select(Outbox).where(Outbox.event_id == quiet)) is None
    # on PostgreSQL the first event and its outbox row are one statement
    assert len([q for q in statements if "INSERT" in q]) == (2 if engine.dialect.name == "postgresql" else 3)
    with factory() as s, pytest.raises(IntegrityError), s.begin():
        journal.record(s, subject="demand", subject_id=7, step="claim", from_state="open", to_state="claimed",
                       actor_id=None, topic="yijia.demand", request_key="k-1")
