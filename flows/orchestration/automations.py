"""SLAs as Prefect automations, and the events they listen to.

Each human step with an `sla:` in a published workflow version becomes one automation with a
proactive trigger: "after an event that put a demand of this workflow version in the step's
waiting state, expect an event that took it out within the SLA, for each demand; if none
came, run the `sla-timeout` deployment for that demand and step". The relay emits the events
(`yijia.demand.<step>` on resource `yijia.demand.<id>`), one per outbox row, with an id derived
from the row so that a row delivered twice is the same event to Prefect.

The automations are the prompt path; the `monitor-stuck` flow reads the database and applies
whatever they missed (a server that was down when a window closed, an event never sent).
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.orchestration import paging
from flows.orchestration.naming import instance_tag
from flows.workflow import registry
from flows.workflow.compiled import CompiledWorkflow
from schemas.tables import WorkflowVersion
from schemas.workflow import HumanStep

EVENT_PREFIX = "yijia.demand."


@dataclass(frozen=True)
class SlaWatch:
    """One automation: a step's SLA in one workflow version."""

    workflow_id: str
    version: int
    step: str
    title: str
    within: timedelta
    after: frozenset[str]
    expect: frozenset[str]

    @property
    def name(self) -> str:
        return f"{prefix()}{self.workflow_id}-v{self.version}:{self.step}"




def prefix() -> str:
    """Automations of this Yijia database: others on the same server are left alone."""
    return f"yijia:{instance_tag().split(':', 1)[1]}:sla:"


def watches(workflow: CompiledWorkflow, version: int) -> list[SlaWatch]:
    """The SLA watches of one compiled workflow version.

    `after`: the steps (start steps included) that move a demand into a state the SLA step
    waits in, from outside those states; `expect`: every step that moves it out of them, and
    the timeout itself (a cancel or an escalation is an answer too).
    """
    result = []
    steps = workflow.spec.steps
    for name, spec in steps.items():
        if not isinstance(spec, HumanStep) or spec.sla is None:
            continue
        waiting = set(spec.sources)
        after = {other for other, s in steps.items()
                 if getattr(s, "to", None) in waiting and not (set(_sources(s)) <= waiting and _sources(s))}
        expect = {other for other, s in steps.items()
                  if set(_sources(s)) & waiting and getattr(s, "to", None) not in waiting}
        expect |= {f"{name}:timeout", "overdue"}
        result.append(SlaWatch(workflow.id, version, name, spec.title, spec.sla.within,
                               frozenset(EVENT_PREFIX + s for s in after), frozenset(EVENT_PREFIX + s for s in expect)))
    return result


def _sources(step: Any) -> list[str]:
    if hasattr(step, "sources"):
        return list(step.sources)
    source = getattr(step, "from_", None)
    return [source] if source else []


def all_watches(session: Session) -> list[SlaWatch]:
    rows = session.execute(select(WorkflowVersion.workflow_id, WorkflowVersion.version, WorkflowVersion.content_hash)
                           .order_by(WorkflowVersion.workflow_id, WorkflowVersion.version)).all()
    result = []
    for workflow_id, version, content_hash in rows:
        result += watches(registry.load(session, workflow_id, version, content_hash), version)
    return result


def automation(watch: SlaWatch, deployment_id: uuid.UUID, within: timedelta | None = None):
    """The Prefect automation for one watch (`within` overrides the SLA, for tests)."""
    from prefect.events.actions import RunDeployment
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

    instance = instance_tag().split(":", 1)[1]
    return AutomationCore(
        name=watch.name,
        # Operator-facing, in Chinese on purpose (see flows/orchestration/__init__.py).
        description=f"{watch.workflow_id} v{watch.version}：「{watch.title}」超过 {watch.within} 未处理时执行超时策略",
        trigger=EventTrigger(
            posture=Posture.Proactive,
            match={"prefect.resource.id": f"{EVENT_PREFIX}*", "yijia.workflow": watch.workflow_id,
                   "yijia.version": str(watch.version), "yijia.instance": instance},
            after=set(watch.after), expect=set(watch.expect), for_each={"prefect.resource.id"},
            threshold=1, within=within or watch.within,
        ),
        actions=[RunDeployment(source="selected", deployment_id=deployment_id,
                               parameters={"demand_id": "{{ event.payload.demand_id }}",
                                           "step": watch.step})],
    )


def sync(session: Session, client, deployment_id: uuid.UUID, within: timedelta | None = None) -> dict[str, int]:
    """Make the server's SLA automations for this database match the published workflows: an
    automation already there as wanted stays (no moment without it, and a second worker's sync
    changes nothing); one no longer wanted, changed or doubled goes; a missing one is created."""
    wanted = {}
    for watch in all_watches(session):
        spec = automation(watch, deployment_id, within)
        spec.description += f" · {_fingerprint(spec)}"
        wanted[spec.name] = spec
    kept: set[str] = set()
    deleted = 0
    for existing in ours(client):
        spec = wanted.get(existing.name)
        if spec is not None and existing.name not in kept and existing.description == spec.description:
            kept.add(existing.name)
            continue
        client.delete_automation(existing.id)
        deleted += 1
    for name, spec in wanted.items():
        if name not in kept:
            client.create_automation(spec)
    return {"created": len(wanted) - len(kept), "deleted": deleted, "kept": len(kept)}


def ours(client) -> list[Any]:
    """This database's automations on the server, every page of them: the server answers 200
    at a time, and a server shared by several databases, or a city with many districts'
    versions, holds more (a sync that saw only the first page would make the rest again)."""
    reads = paging.every(lambda limit, offset: client.read_automations(limit=limit, offset=offset))
    return [a for a in reads if a.name.startswith(prefix())]


def _fingerprint(spec: Any) -> str:
    """What the automation says (its trigger's and actions' content, not their generated ids)."""
    import hashlib
    import json

    content = spec.model_dump(mode="json", exclude={"description": True, "trigger": {"id"}})
    for action in content.get("actions", []):
        action.pop("id", None)
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:12]


def event_id(outbox_id: int) -> uuid.UUID:
    """The same outbox row is always the same Prefect event (the server drops repeats)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"yijia:{instance_tag()}:outbox:{outbox_id}")


def events(rows: Iterable[tuple[int, str, dict[str, Any], datetime]]):
    """Prefect events for outbox rows (id, topic, payload, created_at)."""
    from prefect.events import Event

    instance = instance_tag().split(":", 1)[1]
    result: list[Event] = []
    last: dict[Any, uuid.UUID] = {}
    for outbox_id, topic, payload, created_at in rows:
        demand_id = payload.get("subject_id")
        # `follows` makes the server take one demand's events in order even when they arrive
        # together: an answer processed before the event that opened the watch would be lost.
        follows = last.get(demand_id)
        last[demand_id] = event_id(outbox_id)
        result.append(Event(
            id=event_id(outbox_id), event=topic, occurred=created_at, follows=follows,
            resource={"prefect.resource.id": f"{EVENT_PREFIX}{demand_id}", "yijia.demand.id": str(demand_id),
                      "yijia.workflow": str(payload.get("workflow")), "yijia.version": str(payload.get("version")),
                      "yijia.instance": instance},
            payload={"demand_id": demand_id, "from": payload.get("from"), "to": payload.get("to"),
                     "event_id": payload.get("event_id")},
        ))
    return result


def emit(batch) -> None:
    """Send events and wait until the socket has taken them (raises when the server is away)."""
    import asyncio

    from prefect.events.clients import get_events_client

    async def send():
        async with get_events_client(reconnection_attempts=1) as client:
            for event in batch:
                await client.emit(event)

    if batch:
        asyncio.run(send())
