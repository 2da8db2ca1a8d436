"""Runs the worker's flow runs inside the worker process.

Prefect's runner starts one Python process per flow run: about 1.7 CPU-seconds of imports
(measured here) and 2–3 s of waiting to run an award that takes milliseconds — and, with the
reminders every minute, most of an idle worker's CPU. So every run of Yijia's deployments is
executed by this small thread pool with Prefect's own engine (`run_flow_sync`): the same
states, task retries and logs in the UI. The relay hands it a lifecycle run the moment it
schedules one; `poll_forever` hands it every other scheduled run that is due (the schedules of
the monitor, the reconciler, the reminders, the SLA automations' time-outs, a run the
reconciler scheduled again). Prefect accepts only one `Pending` transition per run, so with any
number of workers a run is executed once.
"""
from __future__ import annotations

import contextvars
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

log = logging.getLogger(__name__)


POLL_SECONDS = 2.0


def _flows() -> dict:
    """Our flows by name: what a run of each deployment executes."""
    from flows.orchestration import lifecycle

    return {f.name: f for f in (lifecycle.demand_lifecycle, lifecycle.sla_timeout, lifecycle.monitor_stuck,
                                lifecycle.expire_orders, lifecycle.send_reminders, lifecycle.reconcile_runs)}


class InProcessExecutor:
    def __init__(self, threads: int = 4):
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="lifecycle")
        self._busy: set[str] = set()
        self._lock = threading.Lock()
        self._names: dict = {}  # flow id → name

    def submit(self, run_id) -> None:
        key = str(run_id)
        with self._lock:
            if key in self._busy:
                return
            self._busy.add(key)
        # The caller's context (Prefect's settings: which server) goes with the run; a pool
        # thread would otherwise see only the process's environment.
        self._pool.submit(contextvars.copy_context().run, self._execute, key)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _execute(self, run_id: str) -> None:
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.objects import StateType
        from prefect.flow_engine import run_flow_sync
        from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

        try:
            with get_client(sync_client=True) as client:
                run = client.read_flow_run(UUID(run_id))
                if run.state is None or run.state.type is not StateType.SCHEDULED:
                    return  # another worker has it
                flow = _flows().get(self._flow_name(client, run.flow_id))
            if flow is None:
                return  # not one of ours
            # No heartbeat thread: joining it costs a second per run, and a run whose worker
            # died is found by the reconciler (a Running run that stays Running).
            with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
                run_flow_sync(flow, flow_run=run, parameters=dict(run.parameters or {}), return_type="state")
        except Exception as exc:
            log.warning("lifecycle run %s: %s: %s", run_id, type(exc).__name__, exc, exc_info=True)
        finally:
            with self._lock:
                self._busy.discard(run_id)

    def _flow_name(self, client, flow_id) -> str:
        if flow_id not in self._names:
            self._names[flow_id] = client.read_flow(flow_id).name
        return self._names[flow_id]


def poll_forever(deployment_ids: set, executor: InProcessExecutor, stop: threading.Event) -> None:
    """Every two seconds, hand the executor the scheduled runs of our deployments that are due
    (one small request; the runner this replaces asked every second and spent a process per run)."""
    from datetime import UTC, datetime

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterExpectedStartTime,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    while not stop.is_set():
        try:
            with get_client(sync_client=True) as client:  # one connection for the polls, not one each
                while not stop.wait(POLL_SECONDS):
                    due = client.read_flow_runs(
                        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=list(deployment_ids))),
                        flow_run_filter=FlowRunFilter(
                            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])),
                            expected_start_time=FlowRunFilterExpectedStartTime(before_=datetime.now(UTC))),
                        sort=FlowRunSort.EXPECTED_START_TIME_ASC, limit=20)
                    for run in due:
                        executor.submit(run.id)
        except Exception as exc:
            log.warning("polling for scheduled runs: %s: %s", type(exc).__name__, exc)
            stop.wait(POLL_SECONDS * 5)
