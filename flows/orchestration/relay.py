"""The outbox relay: committed changes reach Prefect, confirmed, exactly once per change.

For each demand with undelivered outbox rows it makes the demand's flow run match the
database (create it, rename and retag it, pause it under the state's name, schedule it when
automated work is due, finish it when the demand is done), checks that the server accepted
every change, and only then marks the rows delivered. A failure leaves them for the next
pass; because the run is made to match the database rather than replaying each event,
delivering a row twice cannot do anything twice.
"""
from __future__ import annotations

import contextvars
import logging
import os
import socket
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
    FlowRunFilterTags,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.responses import SetStateStatus
from prefect.exceptions import ObjectNotFound
from prefect.states import Cancelled, Completed, Paused, Scheduled, State
from sqlalchemy import Row, func, or_, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from flows.orchestration import paging
from flows.orchestration.desired import Decision, RunFacts, decide, demand_facts
from flows.orchestration.naming import FLOW_NAME, deployment_name, instance_tag
from flows.workflow import registry
from schemas.clock import utcnow
from schemas.settings import get_settings
from schemas.tables import Demand, Outbox

log = logging.getLogger(__name__)
TAKE_LOCK = 0x5969_6A69_6101  # PostgreSQL advisory lock key serialising the takes ("Yijia" + 1)
_HOLDERS: dict[int, str] = {}


def worker_id() -> str:
    """This process as a lease holder (per process id: a forked child is another holder)."""
    pid = os.getpid()
    return _HOLDERS.setdefault(pid, f"{socket.gethostname()}:{pid}:{uuid.uuid4().hex[:8]}")

# (API URL, deployment name) -> id. A workflow version's deployment is made once and keeps its
# id when a worker serves it again (Prefect upserts by name), so a run's creation need not look
# it up each time: one call to the server instead of two. A deployment that has gone is looked
# up again (`_create`).
_DEPLOYMENTS: dict[tuple[str, str], UUID] = {}

# Demands whose live runs one read fetches: the run read is at most this many syncs old when
# it is acted on (a few round trips), while the reads cost the server an eighth of what they did.
RUNS_PER_READ = 8

FINAL = [StateType.COMPLETED, StateType.CANCELLED, StateType.FAILED, StateType.CRASHED]


class NotAccepted(RuntimeError):
    """The Prefect server did not accept a state change; the row stays undelivered."""


def live_run(client: SyncPrefectClient, demand_id: int) -> FlowRun | None:
    """The demand's run that has not finished, if any (newest first)."""
    return live_runs(client, [demand_id]).get(demand_id)


def live_runs(client: SyncPrefectClient, demand_ids: list[int]) -> dict[int, FlowRun]:
    """Each demand's newest run that has not finished, in one call to the server per 200 runs.

    The relay reads a few demands' runs together (`RUNS_PER_READ`): a change then costs the
    server the calls that change the run and a share of one read, not a read of its own."""
    if not demand_ids:
        return {}
    found: dict[int, FlowRun] = {}
    wanted = {f"demand:{i}": i for i in demand_ids}
    runs_filter = FlowRunFilter(tags=FlowRunFilterTags(all_=[instance_tag()], any_=list(wanted)),
                                state=FlowRunFilterState(type=FlowRunFilterStateType(not_any_=FINAL)))
    oldest = datetime.min.replace(tzinfo=UTC)
    for run in paging.every(lambda limit, offset: client.read_flow_runs(
            flow_run_filter=runs_filter, limit=limit, offset=offset)):
        for demand_id in {wanted[t] for t in run.tags if t in wanted}:
            if demand_id not in found or (run.created or oldest) > (found[demand_id].created or oldest):
                found[demand_id] = run
    return found


def _stale(run: FlowRun) -> bool:
    """Running or pending for longer than any automated step takes (`YIJIA_STALE_RUN_SECONDS`)."""
    limit = timedelta(seconds=get_settings().stale_run_seconds)
    since = run.state.timestamp if run.state else None
    return since is not None and utcnow() - since > limit


def run_facts(run: FlowRun) -> RunFacts:
    """The run's current state and labels, as `desired.decide` reads them."""
    return RunFacts(state_type=run.state.type.value if run.state else None,
                    state_name=run.state.name if run.state else None, stale=_stale(run),
                    name=run.name, tags=frozenset(run.tags))


def _state(decision: Decision) -> State:
    """The Prefect state a decision names."""
    if decision.state == "scheduled":
        return Scheduled()
    if decision.state == "paused":
        return Paused(name=decision.state_name, reschedule=True, timeout_seconds=None)
    if decision.state == "completed":
        return Completed(name=decision.state_name)
    return Cancelled(name=decision.state_name)


def _set(client: SyncPrefectClient, run_id: UUID, state: State) -> None:
    result = client.set_flow_run_state(run_id, state, force=True)
    if result.status != SetStateStatus.ACCEPT:
        raise NotAccepted(f"{state.type.value} refused for run {run_id}: {result.status.value}")


def sync_demand(session: Session, client: SyncPrefectClient, demand_id: int, scheduled: list[UUID] | None = None,
                runs: Mapping[int, FlowRun] | None = None) -> str:
    """Make the demand's run match the database (`desired.decide` says how); returns what was
    done (for logs and tests). The ids of runs it schedules are appended to `scheduled` (for the
    in-process executor). `runs`: the live runs of a few demands, this one among them, just read
    (`live_runs`); without it the demand's run is read here."""
    demand = session.get(Demand, demand_id)
    if demand is None:
        return "gone"
    workflow = registry.load(session, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
    facts = demand_facts(session, workflow, demand)
    run = runs.get(demand.id) if runs is not None else live_run(client, demand.id)
    decision = decide(facts, run_facts(run) if run is not None else None)
    if decision.stale and run is not None and run.state is not None:
        log.warning("run %s of demand %s stuck in %s since %s", run.id, demand.id, run.state.type.value,
                    run.state.timestamp)
    run_id: UUID | None = None
    if decision.create:
        run_id = _create(client, f"{FLOW_NAME}/{deployment_name(workflow.id, demand.workflow_version)}",
                         parameters={"demand_id": demand.id}, name=facts.name, tags=facts.tags,
                         state=_state(decision), idempotency_key=f"{instance_tag()}:demand:{demand.id}:rev:{facts.rev}")
    elif run is not None:
        run_id = run.id
        if decision.retag:  # its name or tags differ from the demand's
            client.update_flow_run(run.id, name=facts.name, tags=facts.tags)
        if decision.state is not None:
            _set(client, run.id, _state(decision))
    if decision.executes and run_id is not None and scheduled is not None:
        scheduled.append(run_id)
    return decision.outcome


def _create(client: SyncPrefectClient, deployment: str, **run: Any) -> UUID:
    """A run of the named deployment, its id looked up once per process (`_DEPLOYMENTS`)."""
    key = (str(client.api_url), deployment)
    for attempt in (1, 2):
        if key not in _DEPLOYMENTS:
            _DEPLOYMENTS[key] = client.read_deployment_by_name(deployment).id
        try:
            return client.create_flow_run_from_deployment(_DEPLOYMENTS[key], **run).id
        except (ObjectNotFound, httpx.HTTPStatusError) as exc:
            if isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code != 404:
                raise
            _DEPLOYMENTS.pop(key, None)  # deleted (and perhaps made again under a new id)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def take(factory: sessionmaker[Session], holder: str, batch: int, now: datetime,
         lease: timedelta) -> list[Row[Any]]:
    """Lease the undelivered rows of up to `batch` demands that no other worker holds, oldest
    first, and return the rows this worker holds.

    A demand's rows are with one worker at a time, so two workers never make one run match two
    different reads of its demand. The takes are serialised (SQLite has one writer and the
    update is the transaction's first statement; PostgreSQL takes a transaction-level advisory
    lock first), so each take sees the leases the last one wrote. A lease that runs out (its
    worker died) frees the rows for the next take by anyone."""
    with factory() as session:
        if session.scalar(select(Outbox.id).where(Outbox.delivered_at.is_(None)).limit(1)) is None:
            return []  # an idle pass reads one index entry and writes nothing
        session.rollback()  # the update below is the transaction's first statement (SQLite)
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": TAKE_LOCK})
        free = or_(Outbox.lease_until.is_(None), Outbox.lease_until < now, Outbox.leased_by == holder)
        held_elsewhere = select(Outbox.demand_id).where(
            Outbox.delivered_at.is_(None), Outbox.demand_id.is_not(None), Outbox.lease_until >= now,
            Outbox.leased_by != holder)
        demands = (select(Outbox.demand_id).where(Outbox.delivered_at.is_(None), Outbox.demand_id.is_not(None),
                                                 Outbox.demand_id.not_in(held_elsewhere))
                   .group_by(Outbox.demand_id).order_by(func.min(Outbox.id)).limit(batch))
        session.execute(update(Outbox).where(
            Outbox.delivered_at.is_(None), free,
            or_(Outbox.demand_id.in_(demands.scalar_subquery()), Outbox.demand_id.is_(None)),
        ).values(leased_by=holder, lease_until=now + lease).execution_options(synchronize_session=False))
        session.commit()
        return list(session.execute(
            select(Outbox.id, Outbox.demand_id, Outbox.topic, Outbox.payload, Outbox.created_at)
            .where(Outbox.delivered_at.is_(None), Outbox.leased_by == holder).order_by(Outbox.id)).all())


def deliver(factory: sessionmaker[Session], client: SyncPrefectClient, batch: int = 200,
            send_events=None, on_scheduled=None, holder: str | None = None) -> dict[str, Any]:
    """One pass over the outbox: returns counts of delivered and failed rows.

    The pass takes its rows by lease (`take`): any number of workers share one outbox. It
    stops starting demands halfway through the lease and lets the rest go.

    Per demand: make its run match the database. Then the rows' events go to the server (for
    the SLA automations) in one connection; only rows whose run and events were both taken are
    marked delivered. `send_events` is the sender (`automations.emit`; a test may pass another
    server's). `on_scheduled(run_id)` hears of each run scheduled for automated work.
    """
    from flows.orchestration import automations

    send = send_events or automations.emit
    holder = holder or worker_id()
    lease = timedelta(seconds=get_settings().relay_lease_seconds)
    rows = take(factory, holder, batch, utcnow(), lease)
    started = time.monotonic()
    by_demand: dict[int | None, list] = {}
    for row in rows:
        by_demand.setdefault(row.demand_id, []).append(row)
    synced: list[Row[Any]] = []
    errors: dict[int, Exception] = {}
    scheduled: list[UUID] = []
    released: list[int] = []

    def one(demand_id: int | None, group: list, runs: Mapping[int, FlowRun] | None) -> None:
        """Sync one demand (its run among `runs`, just read)."""
        if time.monotonic() - started > lease.total_seconds() / 2:
            released.extend(row.id for row in group)  # let another worker have them before the lease runs out
            return
        with factory() as session:
            try:
                if demand_id is not None:
                    sync_demand(session, client, demand_id, scheduled, runs)
                synced.extend(group)
            except Exception as exc:
                errors.update({row.id: exc for row in group})
                log.warning("outbox delivery for demand %s failed: %s: %s", demand_id, type(exc).__name__, exc)

    def few(demand_ids: list[int | None]) -> None:
        """Read a few demands' runs in one call, then sync each (a thread of the pool: the calls
        to Prefect wait on the network). A failed read leaves each sync to read its own run."""
        runs: Mapping[int, FlowRun] | None = None
        try:
            runs = live_runs(client, [d for d in demand_ids if d is not None])
        except Exception as exc:
            log.warning("reading the runs of demands %s failed: %s: %s", demand_ids, type(exc).__name__, exc)
        for demand_id in demand_ids:
            one(demand_id, by_demand[demand_id], runs)

    # Demands are independent (each is this worker's alone, by its lease): their syncs run side
    # by side, so a pass waits for Prefect's answers once per `relay_sync_threads` demands, not per demand.
    # A read covers several demands only when there are more demands than threads.
    threads = get_settings().relay_sync_threads
    demand_ids = list(by_demand)
    per_read = max(1, min(RUNS_PER_READ, -(-len(demand_ids) // threads)))
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="relay") as pool:
        for future in [pool.submit(contextvars.copy_context().run, few, demand_ids[i:i + per_read])
                       for i in range(0, len(demand_ids), per_read)]:
            future.result()
    if synced:
        try:
            send(automations.events((r.id, r.topic, r.payload, r.created_at) for r in synced if r.demand_id))
        except Exception as failure:
            errors.update({row.id: failure for row in synced})
            log.warning("sending the events of demands %s failed: %s",
                        sorted({r.demand_id for r in synced if r.demand_id}), failure)
            synced = []
    with factory() as session:
        if synced:
            session.execute(update(Outbox).where(Outbox.id.in_([r.id for r in synced])).values(
                delivered_at=utcnow(), attempts=Outbox.attempts + 1, last_error=None, leased_by=None,
                lease_until=None))
        if released:
            session.execute(update(Outbox).where(Outbox.id.in_(released), Outbox.leased_by == holder).values(
                leased_by=None, lease_until=None))
        for row_id, error in errors.items():
            session.execute(update(Outbox).where(Outbox.id == row_id).values(
                attempts=Outbox.attempts + 1, last_error=f"{type(error).__name__}: {error}"[:2000]))
        session.commit()
    for run_id in scheduled if on_scheduled else ():
        on_scheduled(run_id)
    return {"delivered": len(synced), "failed": len(errors)}
