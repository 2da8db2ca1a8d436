"""What the reconciler looks at: a pass costs what changed since the last one, not the history.

A demand's run can be wrong in two ways only: a demand still going on has no live run (it was
deleted, or its creation was lost), or a finished demand still has one (its last change never
reached Prefect); automated work that came due may also have lost its run with its worker.

A pass therefore looks at the demands with an event since the last pass (a cursor kept in
`fleet_marks`, so a restarted or another worker resumes it), and at those with automated work
due. A run lost without any change to its demand shows in two counts, both read from indexes:
the demands going on and the live runs Prefect holds. When they disagree by more than the
changes still on their way (demands with undelivered outbox rows), or a day has passed since
the last full look, the pass sweeps: every going-on demand and every live run — the open work,
still never the finished history.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from flows.workflow import registry
from schemas.tables import Demand, Event, FleetMark, Outbox, WorkflowVersion

BATCH = 500  # ids per IN list and per tag filter
MARK = "reconcile"  # value: the last event a pass has seen
SWEPT = "reconcile-sweep"  # updated_at: when a pass last swept
SWEEP_EVERY = timedelta(days=1)


@dataclass(frozen=True)
class Candidate:
    demand_id: int
    terminal: bool
    due: bool  # automated work is due in its state (its run may have died with a worker)


@dataclass(frozen=True)
class Plan:
    sweep: bool
    after: int  # the changes to look at: events after this id …
    up_to: int  # … up to this one (the next pass's `after`)


def _states(session: Session) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Per workflow, the states not terminal in some version, and those with automated work due
    (from the published versions: a few rows, each compiled once)."""
    going_on: dict[str, set[str]] = {}
    due: dict[str, set[str]] = {}
    for row in session.execute(select(WorkflowVersion.workflow_id, WorkflowVersion.version,
                                      WorkflowVersion.content_hash)):
        workflow = registry.load(session, *row)
        going_on.setdefault(workflow.id, set()).update(n for n in workflow.spec.states if not workflow.is_terminal(n))
        due.setdefault(workflow.id, set()).update(n for n in workflow.spec.states if workflow.auto_step_from(n))
    return going_on, due


def _in(states: dict[str, set[str]]) -> ColumnElement[bool] | None:
    """The demands in these states, as ranges of the (workflow, state) index."""
    ranges = [and_(Demand.workflow_id == w, Demand.state.in_(sorted(s))) for w, s in states.items() if s]
    return or_(*ranges) if ranges else None


def count_going_on(session: Session) -> int:
    where = _in(_states(session)[0])
    return 0 if where is None else session.scalar(select(func.count()).select_from(Demand).where(where)) or 0


def plan(session: Session, live_runs: int, now: datetime) -> Plan:
    """This pass: the changes since the last one, and whether to sweep (`live_runs`: how many
    runs Prefect holds that have not finished)."""
    mark, swept = session.get(FleetMark, MARK), session.get(FleetMark, SWEPT)
    up_to = session.scalar(select(func.max(Event.id))) or 0
    on_their_way = session.scalar(select(func.count(func.distinct(Outbox.demand_id))).where(
        Outbox.delivered_at.is_(None))) or 0
    disagree = abs(count_going_on(session) - live_runs) > on_their_way
    stale = swept is None or swept.updated_at is None or now - swept.updated_at > SWEEP_EVERY
    return Plan(sweep=mark is None or disagree or stale, after=mark.value if mark else 0, up_to=up_to)


def changed(session: Session, pass_: Plan) -> list[int]:
    """The demands with an event in the pass's range, and those with automated work due."""
    ids = {i for i in session.scalars(select(Event.demand_id).where(
        Event.id > pass_.after, Event.id <= pass_.up_to, Event.demand_id.is_not(None)).distinct()) if i is not None}
    where = _in(_states(session)[1])
    if where is not None:
        ids.update(session.scalars(select(Demand.id).where(where)))
    return sorted(ids)


_COLUMNS = (Demand.id, Demand.workflow_id, Demand.workflow_version, Demand.workflow_hash, Demand.state)


def _facts(session: Session, rows: Iterable) -> Iterator[Candidate]:
    for demand_id, workflow_id, version, content_hash, state in rows:
        workflow = registry.load(session, workflow_id, version, content_hash)
        yield Candidate(demand_id, workflow.is_terminal(state), workflow.auto_step_from(state) is not None)


def facts(session: Session, ids: Iterable[int]) -> list[Candidate]:
    ordered = sorted(set(ids))
    return [c for start in range(0, len(ordered), BATCH) for c in _facts(session, session.execute(
        select(*_COLUMNS).where(Demand.id.in_(ordered[start:start + BATCH])).order_by(Demand.id)))]


def going_on_and(session: Session, live: set[int]) -> list[Candidate]:
    """A sweep's demands: every one going on (by the index), and those of the live runs."""
    where = _in(_states(session)[0])
    found = [] if where is None else list(_facts(session, session.execute(
        select(*_COLUMNS).where(where).order_by(Demand.id))))
    return found + facts(session, live - {c.demand_id for c in found})


def needs_sync(candidate: Candidate, live: set[int]) -> bool:
    """A going-on demand without a live run, a finished one with one, or automated work due."""
    return candidate.terminal == (candidate.demand_id in live) or candidate.due


def advance(session: Session, pass_: Plan, now: datetime) -> None:
    """The next pass starts after this one's changes (and, after a sweep, a day from now)."""
    names = [MARK, SWEPT] if pass_.sweep else [MARK]
    for name in names:
        mark = session.get(FleetMark, name) or FleetMark(name=name, value=0)
        if name == MARK:
            mark.value = max(mark.value or 0, pass_.up_to)
        mark.updated_at = now
        session.add(mark)
    try:
        session.commit()
    except IntegrityError:  # another worker's pass wrote the first mark at the same moment
        session.rollback()
