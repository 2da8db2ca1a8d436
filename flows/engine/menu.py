"""What a person may start (the 发布 menu), read from the published workflows.

A task type is on a person's menu for the communities where its workflow's start step
accepts them (its `by:` role and relation, the same check the engine makes on submit), so a
task type added in the console appears with no code. Each community reads the version its own
district starts demands on (a district's renamed or re-permissioned start step shows on its
people's home page, not the city template's). A community admin also gets, for the
communities they govern, the start steps that name a resident or a member: those they may
start for that person (代办), who then stays the requester.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.engine.permissions import check_actor
from flows.people.actors import ActorContext
from flows.people.regions import admin_communities, district_id, region_ids_of
from flows.workflow import registry
from flows.workflow.compiled import CompiledWorkflow
from flows.workflow.compiler import WorkflowInvalid
from schemas.tables import Region, Role, TaskType, WorkflowVersion
from schemas.workflow import StartStep

log = logging.getLogger(__name__)

# The roles a community admin may act for: people of a community who may lack a phone.
# Relations that need a demand (requester, claimant…) cannot name a person before it exists.
ACTED_FOR_ROLES = (Role.RESIDENT.value, Role.MEMBER.value)
ACTED_FOR_RELATIONS = ("community", "registered", "any")


@dataclass(frozen=True)
class Startable:
    """One entry of the menu: a task type, its start step, and where it may be started."""

    task_type_id: int
    code: str
    name: str
    category: str
    step: str
    step_title: str
    communities: tuple[tuple[int, str], ...]
    on_behalf: bool  # started by an admin for a person the step names (代办)
    for_role: str | None  # that person's role
    booking: bool  # needs an appointment slot: started from the booking page


def startable(session: Session, actor: ActorContext) -> list[Startable]:
    """Every task type the actor may start, and where; admins' 代办 entries after their own."""
    if actor.is_system:
        return []
    governed = {c.id: c for c in admin_communities(session, actor)}
    attached_ids = region_ids_of(session, actor) - governed.keys()
    attached = list(session.scalars(select(Region).where(Region.id.in_(attached_ids)))) if attached_ids else []
    candidates = sorted([*governed.values(), *attached], key=lambda r: r.path)
    if not candidates:
        return []
    latest: dict[tuple[str, int | None], CompiledWorkflow | None] = {}
    entries: list[Startable] = []
    for task_type in session.scalars(select(TaskType).where(TaskType.is_active.is_(True))
                                     .order_by(TaskType.category, TaskType.id)):
        places = [c for c in candidates if task_type.district_id is None
                  or district_id(c.path) == task_type.district_id]
        # (step, its title, on behalf, booking) → where; one entry per distinct start, in order
        found: dict[tuple[str, str, bool, str | None, bool], list[Region]] = {}
        for district in dict.fromkeys(district_id(c.path) for c in places):
            workflow = _latest(session, latest, task_type.workflow_id, district)
            if workflow is None:
                continue  # a task type pointing at no published workflow offers nothing to start
            here = [c for c in places if district_id(c.path) == district]
            for name, spec in workflow.start_steps().items():
                if spec.record == "resource_booking":
                    continue  # started from the resource's own page (资源共享), where the resource is chosen
                direct = [c for c in here if check_actor(actor, spec.by, community_id=c.id, community_path=c.path,
                                                          demand=None, claims=[]) is None]
                behalf = [c for c in here if c.id in governed and c not in direct and acts_for(spec)]
                for where, on_behalf in ((direct, False), (behalf, True)):
                    if where:
                        key = (name, spec.title, on_behalf, spec.by.role if on_behalf else None,
                               spec.record == "booking")
                        found.setdefault(key, []).extend(where)
        for (name, title, on_behalf, role, booking), where in found.items():
            entries.append(Startable(task_type.id, task_type.code, task_type.name, task_type.category.value, name,
                                     title, tuple((c.id, c.name) for c in sorted(where, key=lambda r: r.path)),
                                     on_behalf, role, booking))
    entries.sort(key=lambda e: e.on_behalf)  # stable: the actor's own first, then 代办
    return entries


def acts_for(spec: StartStep) -> bool:
    """Whether an admin may start this step for someone (代办): it names a resident or member
    by community, and is not a booking (a slot is chosen by the person on the booking page)."""
    return (spec.by.role in ACTED_FOR_ROLES and spec.by.relation in ACTED_FOR_RELATIONS
            and spec.record != "booking")


def _latest(session: Session, cache: dict[tuple[str, int | None], CompiledWorkflow | None], workflow_id: str,
            district: int | None) -> CompiledWorkflow | None:
    """The version new demands of the district start on (its own line, else the city's)."""
    key = (workflow_id, district)
    if key not in cache:
        try:
            cache[key] = registry.load_latest(session, workflow_id, district)[1]
        except registry.UnknownWorkflow:
            cache[key] = None
        except WorkflowInvalid as exc:
            # Stored by a newer release and read by an older one (a rollback): this workflow offers
            # nothing to start until it is republished, instead of every home page failing with it.
            log.error("workflow %s (district %s) does not compile here, not offered: %s", workflow_id, district, exc)
            cache[key] = None
    return cache[key]


def books_slots(session: Session, task_type: TaskType, district: int | None) -> bool:
    """Whether the task type's workflow (the district's line) starts from an appointment slot
    (`record: booking`): only such a type can be an appointment service's. A service given a
    wish's type took every booking as a wish, and each was refused (the walk)."""
    try:
        workflow = registry.load_latest(session, task_type.workflow_id, district)[1]
    except registry.UnknownWorkflow:
        return False
    return any(spec.record == "booking" for spec in workflow.start_steps().values())


def resource_task_type(session: Session, district: int | None) -> TaskType | None:
    """The active task type, of the city or of this district, whose workflow's start step books
    a shared resource (`record: resource_booking`): what a resource's request form starts."""
    for task_type in session.scalars(select(TaskType).where(TaskType.is_active.is_(True)).order_by(
            TaskType.district_id.is_(None), TaskType.id)):
        if task_type.district_id not in (None, district):
            continue
        try:
            workflow = registry.load_latest(session, task_type.workflow_id, district)[1]
        except registry.UnknownWorkflow:
            continue
        if any(spec.record == "resource_booking" for spec in workflow.start_steps().values()):
            return task_type
    return None



def resource_states(session: Session) -> tuple[set[str], set[str]]:
    """Across the published resource request workflows, every district's own line with the
    city's: the states a request waits in for the owner's answer (where its start step leads)
    and the states that mean it was done."""
    waiting: set[str] = set()
    done: set[str] = set()
    lines = session.execute(select(WorkflowVersion.workflow_id, WorkflowVersion.district_id).distinct().where(
        WorkflowVersion.workflow_id.in_(select(TaskType.workflow_id)))).all()
    for workflow_id, district in lines:
        try:
            workflow = registry.load_latest(session, workflow_id, district)[1]
        except registry.UnknownWorkflow:
            continue
        starts = [s for s in workflow.start_steps().values() if s.record == "resource_booking"]
        if starts:
            waiting.update(s.to for s in starts)
            done.update(workflow.states_with_outcome("done"))
    return waiting, done
