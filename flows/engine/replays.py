"""One-time keys: a form sent twice (a double tap, the back button, two parallel posts) is
done once, and the second answer is the first outcome again.

The page issues a key when it shows the form; the engine stores it, scoped to the person who
sent it, on the event the step writes (a unique column). A replay is found before any work,
or, when two sends race, by the unique index refusing the second event: its transaction is
rolled back whole and the first outcome is read back.

The back button defeats a key alone: a phone reloads the form page (its cookie changed, so
its cache entry no longer matches) and the reloaded form carries a fresh key, with the fields
the person typed restored by the browser. So a keyed form whose values repeat what the same
person sent for the same step within `SAME_FORM_WINDOW` is answered as a replay too: the same
hours for the same item twice in ten minutes, the same wish posted again.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.engine.outcomes import Outcome
from flows.workflow import registry
from schemas.tables import Demand, Event

SAME_FORM_WINDOW = timedelta(minutes=10)
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
    return _outcome(session, session.scalar(select(Event).where(Event.request_key == key)))


def same_form(session: Session, *, actor_id: int | None, step: str, values: Mapping[str, Any], now: datetime,
              demand_id: int | None = None, task_type_id: int | None = None, requester_id: int | None = None,
              ignore: frozenset[str] = frozenset()) -> Outcome | None:
    """The outcome of the same person's same step with the same values, sent within the window:
    on a demand (`demand_id`) or starting one of a task type (`task_type_id`) for `requester_id`
    (the actor, or the resident an admin starts it for: 代办). Fields in `ignore` (uploaded
    photos, stored under a new name each time) do not count."""
    query = (select(Event).where(Event.actor_id == actor_id, Event.step == step,
                                 Event.at >= now - SAME_FORM_WINDOW, Event.at <= now)
             .order_by(Event.id.desc()).limit(5))
    if demand_id is not None:
        query = query.where(Event.demand_id == demand_id)
    else:
        query = query.join(Demand, Demand.id == Event.demand_id).where(
            Demand.task_type_id == task_type_id, Event.from_state.is_(None),
            Demand.requester_id == (actor_id if requester_id is None else requester_id))
    compared = {k: v for k, v in values.items() if k not in ignore}
    for event in session.scalars(query):
        data = event.data or {}
        if all(data.get(k) == v for k, v in compared.items()) and not _undone(session, event):
            return _outcome(session, event)
    return None


def _undone(session: Session, event: Event) -> bool:
    """The demand has since ended cancelled or rejected: sending the form again is re-doing it."""
    demand = session.get(Demand, event.demand_id)
    if demand is None:
        return True
    workflow = registry.load(session, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
    return workflow.outcome(demand.state) in ("cancelled", "rejected")


def _outcome(session: Session, event: Event | None) -> Outcome | None:
    if event is None or event.demand_id is None:
        return None
    demand = session.get(Demand, event.demand_id)
    if demand is None:
        return None
    workflow = registry.load(session, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
    step = workflow.step(event.step)
    to_state = event.to_state or demand.state
    # an action that is not a step of its own (确认参加) names its title in the event
    title = step.title if step else (event.data or {}).get("step_title", event.step)
    return Outcome(demand_id=demand.id, step=event.step, step_title=title,
                   from_state=event.from_state, to_state=to_state, state_title=workflow.state_title(to_state),
                   event_id=event.id, replayed=True)
