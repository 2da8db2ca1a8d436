"""What one call the relay makes costs the Prefect server (#21): runs created from a deployment,
states set, runs retagged, each from 8 threads against one `prefect server start` on PostgreSQL,
with nothing else of Yijia running. Figures: calls a second, and the server's CPU per call
(counted until its services have handled the call's events, so a state's event is included).

This is the ceiling under the relay's "changes a second": a change costs the server at least one
state set (or one run created) and one event of ours, so on a machine where a state costs the
server N ms of CPU, one API process cannot take more than 1000/N changes a second, whatever
the relay does. `python -m bench prefect_calls` (not in the default run); `BENCH_CALLS` runs (300).
"""
from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

from bench.common import emit, pg_available
from tests.procs import PrefectServer, cpu_seconds, drop_pg_database, pg_prefect_url

RUNS = int(os.environ.get("BENCH_CALLS", "300"))
SETTLE = 4.0  # seconds after the calls for the server's services to handle their events


def run() -> None:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect.states import Paused

    if not pg_available():
        print('{"bench": "prefect_calls", "skipped": "PostgreSQL is not available here"}')
        return
    database = f"yijia_prefect_calls_{os.getpid()}"
    server = PrefectServer(pg_prefect_url(database)).start()
    assert server.proc is not None
    pid = server.proc.pid
    try:
        with temporary_settings({PREFECT_API_URL: server.api}), get_client(sync_client=True) as client:
            deployment = client.create_deployment(flow_id=client.create_flow_from_name("demand"), name="bench")
            time.sleep(10)  # the server's start-up work is done

            def measure(call: str, do, items: list) -> list:
                cpu, began = cpu_seconds(pid), time.perf_counter()
                with ThreadPoolExecutor(8) as pool:
                    out = list(pool.map(do, items))
                seconds = time.perf_counter() - began
                time.sleep(SETTLE)
                emit("prefect_calls", "postgresql", call=call, calls=len(items),
                     calls_per_s=round(len(items) / seconds, 1),
                     server_cpu_ms_per_call=round((cpu_seconds(pid) - cpu) / len(items) * 1000, 1))
                return out

            def paused(name: str):
                return Paused(name=name, reschedule=True, timeout_seconds=None)

            runs = measure("create_flow_run_from_deployment", lambda i: client.create_flow_run_from_deployment(
                deployment, name=f"d{i}", tags=[f"demand:{i}", "step:post"], state=paused("待审核")).id,
                list(range(RUNS)))
            measure("set_flow_run_state", lambda r: client.set_flow_run_state(r, paused("待认领"), force=True), runs)
            measure("update_flow_run (retag)", lambda r: client.update_flow_run(r, tags=["step:claim"]), runs)
            measure("set_flow_run_state", lambda r: client.set_flow_run_state(r, paused("已认领"), force=True), runs)
    finally:
        server.stop()
        drop_pg_database(database)


if __name__ == "__main__":
    run()
