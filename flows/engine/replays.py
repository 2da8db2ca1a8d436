"""One-time keys: a form sent twice (a double tap, the back button, two parallel posts) is
done once, and the second answer is the first outcome again.

The page issues a key when it shows the form; the engine stores it, scoped to the person who
sent it, on the event the step writes (a unique column). A replay is found before any work,
or, when two sends race, by the unique index refusing the second event: its transaction is
rolled back whole and the first outcome is read back.
"""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.engine.outcomes import Outcome
from flows.workflow import registry
from schemas.tables import Demand, Event

MAX_KEY = 64
_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def scoped(user_id: int | None, request_key: str | None) -> str | None:
    """The stored form of a key (`<user>:<key>`), or None when there is none to honour.

    Scoping by the sender means a key can never return someone else's outcome."""
    key = (request_key or "").strip()[:MAX_KEY]
    if not key or not _KEY.match(key):
        return None
    return f"{user_id or 0}:{key}"


def replay(session: Session, key: str | None) -> Outcome | None:
    """The outcome of the step done earlier with this key, or None."""
    if key is None:
        return None
    event = session.scalar(select(Event).where(Event.request_key == key))
    if event is None or event.demand_id is None:
        return None
    demand = session.get(Demand, event.demand_id)
    if demand is None:
        return None
    workflow = registry.load(session, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
    step = workflow.step(event.step)
    to_state = event.to_state or demand.state
    return Outcome(demand_id=demand.id, step=event.step, step_title=step.title if step else event.step,
                   from_state=event.from_state, to_state=to_state, state_title=workflow.state_title(to_state),
                   event_id=event.id, replayed=True)
