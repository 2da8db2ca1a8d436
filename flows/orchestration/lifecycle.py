"""The Prefect flows. Each is thin: it calls the domain, which is safe to run twice.

- `demand-lifecycle`: one run per demand; when scheduled (automated work is due) it runs
  the automated steps as a task with retries, then finishes with the demand's state or waits.
- `sla-timeout`: applies one step's timeout policy to one demand (run by SLA automations).
- `monitor-stuck`: the safety net; applies overdue policies the automations missed, tags
  overdue runs and publishes the `stuck-demands` table artifact.
- `reconcile-runs`: every live demand has a run, every finished demand's run is finished.
- `send-reminders`: every minute, the reminders, confirmation requests and releases of
  unconfirmed places that have come due (flows.engine.reminders.due).
"""
from __future__ import annotations

from functools import lru_cache

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
    FlowRunFilterTags,
)
from prefect.states import Cancelled, Completed

from flows import engine
from flows.core.db import make_engine, make_sessionmaker
from flows.engine import monitor
from flows.orchestration import fleet, paging, reconcile, relay
from flows.orchestration import stuck as stuck_lists
from flows.orchestration.naming import instance_tag, run_name
from flows.people import regions
from flows.workflow import registry
from schemas.clock import utcnow
from schemas.tables import Demand, Region

STUCK_LIMIT = 2000  # per pass: the oldest first; the console pages through all of them


@lru_cache(maxsize=1)
def sessions():
    """The worker process's session factory (a connection pool, not data)."""
    return make_sessionmaker(make_engine())


@task(retries=3, retry_delay_seconds=2, name="run-automated-steps")
def run_automated_steps(demand_id: int) -> list[int]:
    """Award points, notify...: each step is guarded, each posting keyed, so a retry is harmless."""
    with sessions()() as session:
        return engine.advance(session, demand_id)


@flow(name="demand-lifecycle", log_prints=False)
def demand_lifecycle(demand_id: int):
    """Re-entrant: whatever happened before, read the demand and do what is due from there."""
    events = run_automated_steps(demand_id)
    with sessions()() as session:
        demand = session.get(Demand, demand_id)
        if demand is None:
            return Cancelled(name="已删除")
        workflow = registry.load(session, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
        title = workflow.state_title(demand.state)
        if workflow.is_terminal(demand.state):
            return (Completed if workflow.is_done(demand.state) else Cancelled)(
                name=title, message=f"{len(events)} automated step(s)")
    # Still waiting for a person: wait without holding a process (the relay resumes us).
    from prefect.flow_runs import suspend_flow_run

    suspend_flow_run(timeout=366 * 24 * 3600, key=f"{demand.state}-{demand.rev}")


@task(name="apply-timeout")
def apply_timeout(demand_id: int, step: str) -> str | None:
    with sessions()() as session:
        return engine.apply_timeout(session, demand_id, step)


def _timeout_run_name() -> str:
    """`超时 · 微心愿 #42 · 旭日社区 · 审核发布`: the demand, as the operator knows it (nothing
    personal; in Chinese on purpose: see flows/orchestration/__init__.py)."""
    from prefect.runtime import flow_run

    params = flow_run.parameters
    demand_id, step = int(params["demand_id"]), params["step"]
    with sessions()() as session:
        demand = session.get(Demand, demand_id)
        if demand is None:
            return f"超时 · #{demand_id}"
        workflow = registry.load(session, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
        spec = workflow.step(step)
        community = session.get(Region, demand.community_id)
        name = run_name(workflow, demand, community.name if community else None)
        return f"超时 · {name} · {spec.title if spec else step}"[:120]


@flow(name="sla-timeout", flow_run_name=_timeout_run_name)
def sla_timeout(demand_id: int, step: str) -> str | None:
    """One step's SLA passed for one demand: escalate, complete with defaults or cancel."""
    return apply_timeout(demand_id, step)


@flow(name="monitor-stuck")
def monitor_stuck() -> int:
    """Apply overdue policies, tag overdue runs, publish the stuck lists; returns how many are
    stuck (-1: another worker's pass is running; one pass at a time across the fleet)."""
    logger = get_run_logger()
    with sessions()() as session, fleet.duty(session, fleet.MONITOR, relay.worker_id(), 600) as mine:
        if not mine:
            logger.info("another worker's monitor pass is running")
            return -1
        return _monitor(logger)


def _monitor(logger) -> int:
    with sessions()() as session:
        stuck = monitor.overdue(session, limit=STUCK_LIMIT)
    for case in stuck:
        if case.policy != "escalate" or not case.escalated:
            apply_timeout(case.demand_id, case.step)
    runs = {}
    with sessions()() as session:
        stuck = monitor.overdue(session, limit=STUCK_LIMIT)
        districts = regions.names(session, {c.district_id for c in stuck if c.district_id is not None})
        with get_client(sync_client=True) as client:
            for case in stuck:
                try:
                    relay.sync_demand(session, client, case.demand_id)
                    run = relay.live_run(client, case.demand_id)
                    if run is not None:
                        runs[case.demand_id] = run.id
                except Exception as exc:
                    logger.warning("could not tag demand %s: %s", case.demand_id, exc)
    # Operator-facing text in the Prefect UI stays Chinese: its readers are the programme's staff.
    stuck_lists.publish(stuck, runs, districts, create_table_artifact, create_markdown_artifact)
    logger.info("%d stuck demands", len(stuck))
    return len(stuck)


@flow(name="expire-orders")
def expire_orders() -> int:
    """Shop orders not picked up in time: points and stock go back; those expiring within a
    day: their owners are reminded (once per order)."""
    from flows.points import shop

    with sessions()() as session:
        shop.remind_expiring(session)
        return shop.expire_due(session)


@flow(name="send-reminders")
def send_reminders() -> dict[str, int]:
    """Reminders before a demand's start, requests to confirm a place and the release of places
    not confirmed: each done once (its event's unique key), so overlapping runs are harmless."""
    from flows.engine import reminders

    with sessions()() as session:
        return reminders.due(session)


@flow(name="reconcile-runs")
def reconcile_runs() -> dict[str, int]:
    """Give every live demand a run and finish the runs of finished demands. A pass looks at
    what changed since the last one and at automated work due; it sweeps the open work when
    the counts of going-on demands and live runs disagree (flows/orchestration/reconcile.py),
    never the finished history."""
    with sessions()() as session, fleet.duty(session, fleet.RECONCILE, relay.worker_id(), 300) as mine:
        if not mine:
            get_run_logger().info("another worker's reconcile pass is running")
            return {"skipped": 1}
        return _reconcile()


def _reconcile() -> dict[str, int]:
    counts: dict[str, int] = {}
    live_filter = FlowRunFilter(tags=FlowRunFilterTags(all_=["yijia", instance_tag()]),
                                state=FlowRunFilterState(type=FlowRunFilterStateType(not_any_=relay.FINAL)))
    with sessions()() as session, get_client(sync_client=True) as client:
        now = utcnow()
        this_pass = reconcile.plan(session, client.count_flow_runs(flow_run_filter=live_filter), now)
        if this_pass.sweep:
            live = _live_demands(client, live_filter)
            candidates = reconcile.going_on_and(session, live)
        else:
            ids = reconcile.changed(session, this_pass)
            live = set()
            for start in range(0, len(ids), reconcile.BATCH):
                live |= _live_demands(client, FlowRunFilter(
                    tags=FlowRunFilterTags(all_=["yijia", instance_tag()],
                                           any_=[f"demand:{i}" for i in ids[start:start + reconcile.BATCH]]),
                    state=live_filter.state))
            candidates = reconcile.facts(session, ids)
        session.rollback()
        for candidate in candidates:
            if not reconcile.needs_sync(candidate, live):
                continue  # live demand with a run, or finished demand without one: all good
            # (automated work due: its run may have died with its worker; sync_demand checks)
            result = relay.sync_demand(session, client, candidate.demand_id)
            counts[result] = counts.get(result, 0) + 1
            session.rollback()
        reconcile.advance(session, this_pass, now)
    counts["visited"], counts["swept"] = len(candidates), int(this_pass.sweep)
    return counts


def _live_demands(client, flow_run_filter: FlowRunFilter) -> set[int]:
    """The demands of the runs the filter finds."""
    runs = paging.every(lambda limit, offset: client.read_flow_runs(
        flow_run_filter=flow_run_filter, limit=limit, offset=offset))
    return {int(t.split(":", 1)[1]) for r in runs for t in r.tags if t.startswith("demand:")}
