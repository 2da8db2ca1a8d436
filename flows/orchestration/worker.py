"""`yijia worker`: one deployment of the lifecycle flow per published workflow version, the
SLA, monitor and reconcile flows, the outbox relay and the notification courier, served from
one process."""
from __future__ import annotations

import logging
import signal
import threading

from sqlalchemy import select

from flows.orchestration.executor import InProcessExecutor
from flows.orchestration.naming import deployment_name
from schemas.tables import WorkflowVersion

log = logging.getLogger(__name__)
RELAY_INTERVAL = 1.0


def _versions(session) -> list[tuple[str, int]]:
    return [(w, v) for w, v in session.execute(select(WorkflowVersion.workflow_id, WorkflowVersion.version)
                                               .order_by(WorkflowVersion.workflow_id, WorkflowVersion.version))]


def lifecycle_deployment(workflow_id: str, version: int):
    """The runner deployment of one workflow version's lifecycle flow."""
    from prefect.deployments.runner import EntrypointType

    from flows.orchestration.lifecycle import demand_lifecycle

    # Import flows as package modules (not files): the runner then resolves our imports.
    return demand_lifecycle.to_deployment(name=deployment_name(workflow_id, version),
                                          tags=["yijia", f"workflow:{workflow_id}"],
                                          description=f"{workflow_id} v{version}",
                                          entrypoint_type=EntrypointType.MODULE_PATH)


REMIND_INTERVAL = 60  # seconds between passes of send-reminders


def deployments(session):
    """Runner deployments for every workflow version, plus the scheduled housekeeping flows."""
    from prefect.deployments.runner import EntrypointType

    from flows.orchestration.lifecycle import expire_orders, monitor_stuck, reconcile_runs, send_reminders, sla_timeout

    module = EntrypointType.MODULE_PATH
    result = [lifecycle_deployment(w, v) for w, v in _versions(session)]
    result.append(sla_timeout.to_deployment(name="sla-timeout", tags=["yijia"], entrypoint_type=module))
    result.append(monitor_stuck.to_deployment(name="monitor", interval=600, tags=["yijia"], entrypoint_type=module))
    result.append(reconcile_runs.to_deployment(name="reconcile", interval=300, tags=["yijia"], entrypoint_type=module))
    result.append(expire_orders.to_deployment(name="expire", interval=3600, tags=["yijia"], entrypoint_type=module))
    # a reminder "two hours before" is sent within a minute of its time
    result.append(send_reminders.to_deployment(name="remind", interval=REMIND_INTERVAL, tags=["yijia"],
                                               entrypoint_type=module))
    return result


def apply_all(session, sla_window=None) -> list:
    """Register the deployments with the server (what `serve` does, without serving), and the
    SLA automations that run the `sla-timeout` one (`sla_window` shortens every SLA, for tests)."""
    ids = [d.apply() for d in deployments(session)]
    sync_automations(session, sla_window)
    return ids


def sync_automations(session, sla_window=None) -> dict[str, int]:
    """Make the SLA automations match the published workflows — by one worker of the fleet at a
    time (the others find it done: the sync keeps what is already as wanted)."""
    from prefect.client.orchestration import get_client

    from flows.orchestration import automations, fleet
    from flows.orchestration.relay import worker_id

    with fleet.duty(session, fleet.AUTOMATIONS, worker_id(), 120) as mine:
        if not mine:
            return {"skipped": 1}
        with get_client(sync_client=True) as client:
            deployment = client.read_deployment_by_name("sla-timeout/sla-timeout")
            return automations.sync(session, client, deployment.id, sla_window)


class NewVersions:
    """Serves workflow versions published while the worker runs (a district publishes from the
    console at any hour): each new version's deployment is registered, and the SLA automations
    re-synced, before the relay creates the first run on it, so nobody restarts the worker.

    The check is one small query per relay pass; the registration happens once per new version.
    Runs of a new version are executed by the in-process executor the relay hands them to (the
    runner's `serve` keeps serving the deployments it started with, as the fallback)."""

    def __init__(self, served: set[tuple[str, int]] | None = None, deployment_ids: set | None = None) -> None:
        self.served = set(served or ())
        self.deployment_ids = deployment_ids if deployment_ids is not None else set()  # the poller's

    def refresh(self, session, sla_window=None) -> list[tuple[str, int]]:
        """Register what is new since the last call; returns the new (workflow, version) pairs."""
        new = [wv for wv in _versions(session) if wv not in self.served]
        if not new:
            return []
        for workflow_id, version in new:
            self.deployment_ids.add(lifecycle_deployment(workflow_id, version).apply())
        sync_automations(session, sla_window)
        self.served.update(new)
        log.info("serving new workflow versions without a restart: %s", new)
        return new


def relay_forever(factory, stop: threading.Event, on_scheduled=None, versions: NewVersions | None = None) -> None:
    """Deliver the outbox every second; back off while the server is away. With `versions`,
    workflow versions published meanwhile are registered before their first run is created."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_CLIENT_MAX_RETRIES, temporary_settings

    from flows.orchestration.relay import deliver

    delay = RELAY_INTERVAL
    while not stop.is_set():
        try:
            # Few client retries: a server that is away should cost a pass seconds, not minutes
            # (the rows wait in the outbox and the relay's own back-off takes over).
            with temporary_settings({PREFECT_CLIENT_MAX_RETRIES: 2}), get_client(sync_client=True) as client:
                while not stop.is_set():
                    if versions is not None:
                        with factory() as session:
                            versions.refresh(session)
                    result = deliver(factory, client, on_scheduled=on_scheduled)
                    delay = RELAY_INTERVAL if not result["failed"] else min(delay * 2, 30)
                    stop.wait(delay if not result["delivered"] else 0.05)
        except Exception as exc:
            log.warning("relay: %s; retrying in %.0fs", exc, delay)
            stop.wait(delay)
            delay = min(delay * 2, 30)


def _run_now(*names: str) -> None:
    """A run of each housekeeping flow at start: the stuck list and the runs are right at once,
    not at the schedule's first tick (ten minutes for the monitor)."""
    from prefect.deployments import run_deployment

    for name in names:
        try:
            run_deployment(name, timeout=0)
        except Exception as exc:
            log.warning("could not start %s: %s", name, exc)


def run() -> None:
    """Register every deployment, then execute their runs in this process (flows/orchestration/
    executor.py) and relay the outbox until interrupted."""
    from flows.orchestration.executor import poll_forever
    from flows.orchestration.lifecycle import sessions

    factory = sessions()
    deployment_ids: set = set()
    versions = NewVersions(deployment_ids=deployment_ids)  # until registered, every version counts as new
    synced: dict[str, int] = {}
    stop = threading.Event()
    delay = RELAY_INTERVAL
    while not deployment_ids and not stop.is_set():
        with factory() as session:
            known = set(_versions(session))
            served = deployments(session)
            # Registered before the relay starts (it creates runs of them) and before the
            # automations (they name sla-timeout).
            try:
                deployment_ids.update(deployment.apply() for deployment in served)
                synced = sync_automations(session)
                log.info("SLA automations: %s", synced)
                versions = NewVersions(known, deployment_ids)
            except Exception as exc:
                log.warning("could not register the deployments and automations: %s; again in %.0fs", exc, delay)
                deployment_ids.clear()
                stop.wait(delay)
                delay = min(delay * 2, 30)
    if not synced.get("skipped"):  # the first worker of the fleet; the others would only skip them
        _run_now("monitor-stuck/monitor", "reconcile-runs/reconcile")
    executor = InProcessExecutor()
    thread = threading.Thread(target=relay_forever, args=(factory, stop, executor.submit, versions),
                              name="outbox-relay", daemon=True)
    thread.start()
    threading.Thread(target=poll_forever, args=(deployment_ids, executor, stop), name="scheduled-runs",
                     daemon=True).start()
    # Messages on channels besides the inbox (e-mail, SMS, WeChat): delivered here, beside
    # Prefect rather than as runs of it — a run per message would cost more than the send.
    from flows.notices import courier

    threading.Thread(target=courier.run_forever, args=(factory, stop), name="notice-courier", daemon=True).start()
    log.info("serving %d deployments", len(served))
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(3600):
            pass
    except KeyboardInterrupt:
        stop.set()
    finally:
        stop.set()
        executor.shutdown()
