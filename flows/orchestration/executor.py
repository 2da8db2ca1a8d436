"""Runs the demands' lifecycle runs inside the worker process, the moment they are scheduled.

Prefect's runner starts one Python process per flow run: about 1.7 CPU-seconds of imports
(measured here) and 2–3 s of waiting to run an award that takes milliseconds. The relay knows
when it schedules a run, so it hands the run to this small thread pool, which executes it with
Prefect's own engine (`run_flow_sync`): the same states, task retries and logs in the UI. The
runner still serves the lifecycle deployments and picks up any scheduled run this pool has not
taken (the reconciler's, the monitor's, one left when the worker restarted); Prefect accepts
only one `Pending` transition, so a run is never executed twice.
"""
from __future__ import annotations

import contextvars
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

log = logging.getLogger(__name__)


class InProcessExecutor:
    def __init__(self, threads: int = 2):
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="lifecycle")
        self._busy: set[str] = set()
        self._lock = threading.Lock()

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

        from flows.orchestration.lifecycle import demand_lifecycle

        try:
            with get_client(sync_client=True) as client:
                run = client.read_flow_run(UUID(run_id))
            if run.state is None or run.state.type is not StateType.SCHEDULED:
                return  # the runner (or another worker) has it
            # No heartbeat thread: joining it costs a second per run, and a run whose worker
            # died is found by the reconciler (a Running run that stays Running).
            with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
                run_flow_sync(demand_lifecycle, flow_run=run,
                              parameters={"demand_id": int(run.parameters["demand_id"])}, return_type="state")
        except Exception as exc:
            log.warning("lifecycle run %s: %s: %s", run_id, type(exc).__name__, exc, exc_info=True)
        finally:
            with self._lock:
                self._busy.discard(run_id)
