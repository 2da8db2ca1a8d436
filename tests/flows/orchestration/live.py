"""Helpers of the real-process tests: waiting for a condition, reading a demand's runs."""
from __future__ import annotations

import time

from sqlalchemy import func, select

from schemas.tables import Outbox


def client():
    from prefect.client.orchestration import get_client

    return get_client(sync_client=True)


def wait(condition, timeout=90, every=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not true after {timeout}s: {condition.__doc__ or condition}")


def runs(demand_id):
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags

    from flows.orchestration.naming import instance_tag

    with client() as c:
        return c.read_flow_runs(flow_run_filter=FlowRunFilter(
            tags=FlowRunFilterTags(all_=[f"demand:{demand_id}", instance_tag()])))


def shows(demand_id, title):
    found = runs(demand_id)
    return len(found) == 1 and found[0].state.name == title


def undelivered(factory):
    with factory() as s:
        return s.scalar(select(func.count()).select_from(Outbox).where(Outbox.delivered_at.is_(None)))
