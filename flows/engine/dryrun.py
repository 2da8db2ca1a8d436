"""Dry run: walk a sample demand through an edited workflow in a throwaway database.

The admin sees each step the sample takes (who, from, to, or why it was refused) and the
points it ends with, before the workflow is published. Nothing touches the real database.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from flows import engine
from flows.core.refusals import Refused
from flows.points import ledger
from flows.workflow import registry
from flows.workflow.compiled import CompiledWorkflow
from flows.workflow.compiler import compile_source
from schemas.tables import (
    AppointmentService,
    AppointmentSlot,
    Base,
    Member,
    MemberRegistration,
    Organisation,
    OrgRegistration,
    Region,
    RegionLevel,
    RegistrationStatus,
    Role,
    RoleGrant,
    Skill,
    TaskCategory,
    TaskType,
    User,
)
from schemas.workflow import HumanStep

SAMPLE_PLACES = 5

@dataclass
class DryStep:
    step: str
    title: str
    actor: str
    from_state: str | None
    to_state: str | None
    ok: bool
    message: str


@dataclass
class DryRun:
    steps: list[DryStep] = field(default_factory=list)
    final_state: str = ""
    points: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)


def run(source: str, file: str = "<editor>") -> DryRun:
    """Compile `source` (raises WorkflowInvalid) and walk one sample demand to a terminal state."""
    workflow = compile_source(source, file)
    sandbox = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    event.listen(sandbox, "connect", lambda c, _r: c.execute("PRAGMA foreign_keys=ON"))
    Base.metadata.create_all(sandbox)  # a scratch copy of the schema; the real one is Alembic's
    factory = sessionmaker(sandbox, expire_on_commit=False)
    try:
        with factory() as s:
            people = _people(s, workflow)
            registry.publish(s, source, file)
            s.commit()
        return _walk(factory, workflow, people)
    finally:
        sandbox.dispose()


def _people(s: Session, workflow: CompiledWorkflow) -> dict[str, int]:
    city = Region(level=RegionLevel.CITY, code="c", name="示例市", path="")
    s.add(city)
    s.flush()
    city.path = f"/{city.id}/"
    community = Region(level=RegionLevel.COMMUNITY, code="k", name="示例社区", parent_id=city.id, lat=47.7, lng=128.8)
    s.add(community)
    s.flush()
    community.path = f"{city.path}{community.id}/"
    org = Organisation(name="示例党支部", work_unit="示例单位", district_id=city.id)
    skills = [Skill(code=code, name=code) for code in _skill_codes(workflow)]
    s.add_all([org, *skills])
    s.flush()
    s.add(OrgRegistration(org_id=org.id, community_id=community.id, status=RegistrationStatus.APPROVED))
    ids = {"community": community.id}
    for key, role, region, org_id in [("resident", Role.RESIDENT, community.id, None),
                                      ("member", Role.MEMBER, community.id, None),
                                      ("org_admin", Role.ORG_ADMIN, None, org.id),
                                      ("admin", Role.COMMUNITY_ADMIN, community.id, None)]:
        user = User(username=key, display_name={"resident": "示例居民", "member": "示例党员", "org_admin": "示例书记",
                                                "admin": "社区管理员"}[key], password_hash="!")
        user.grants = [RoleGrant(role=role, region_id=region, org_id=org_id)]
        s.add(user)
        s.flush()
        ids[key] = user.id
    member = Member(user_id=ids["member"], org_id=org.id)
    member.skills = skills
    s.add(member)
    s.flush()  # no ORM relationship orders these two inserts for us
    s.add(MemberRegistration(member_id=ids["member"], community_id=community.id, status=RegistrationStatus.APPROVED))
    task_type = TaskType(code="sample", name=workflow.spec.title, category=TaskCategory(workflow.spec.category),
                         default_points=10, workflow_id=workflow.id)
    s.add(task_type)
    s.flush()
    ids["task_type"] = task_type.id
    if any(getattr(st, "record", None) == "booking" for st in workflow.start_steps().values()):
        service = AppointmentService(community_id=community.id, task_type_id=task_type.id, name="示例服务")
        s.add(service)
        s.flush()
        start = datetime.now(UTC) + timedelta(days=1)
        slot = AppointmentSlot(service_id=service.id, starts_at=start, ends_at=start + timedelta(hours=1), capacity=1)
        s.add(slot)
        s.flush()
        ids["slot"] = slot.id
    return ids


def _skill_codes(workflow: CompiledWorkflow) -> list[str]:
    codes: set[str] = set()
    for step in workflow.start_steps().values():
        field_ = step.form.get("required_skills")
        if field_ is not None and field_.type == "choice":
            codes |= set(field_.choices)
    return sorted(codes)


def _sample(form: dict, people: dict[str, int], now: datetime) -> dict:
    values = {}
    for name, f in form.items():
        if not f.required and f.type in ("image", "location", "date", "member", "choice"):
            continue  # optional choices too: required skills would shut out a sample resident
        if f.type == "text":
            values[name] = ("示例" * max(1, f.min_length))[: f.max_length]
        elif f.type in ("number", "integer"):
            low = f.min if f.min is not None else 1
            # room for everyone of the sample who may sign up (a member, a resident…)
            wanted = max(low, SAMPLE_PLACES) if name == "capacity" else max(low, 1)
            values[name] = wanted if f.max is None else min(wanted, f.max)
        elif f.type == "choice":
            first = next(iter(f.choices))
            values[name] = [first] if f.multiple else first
        elif f.type == "datetime":  # it starts now: steps bound to its time window can be walked
            values[name] = (now + timedelta(hours=2 if name == "ends_at" else 0)).isoformat()
        elif f.type == "date":
            values[name] = (now + timedelta(days=1)).date().isoformat()
        elif f.type == "location":
            values[name] = "47.72,128.84"
        elif f.type == "image":
            values[name] = "0" * 32 + ".png"
        elif f.type == "rating":
            values[name] = f.max
        elif f.type == "member":
            values[name] = people["member"]
    return values


def _actor(step: HumanStep, people: dict[str, int], requester: int, claimant_key: str | None) -> tuple[str, int]:
    if step.by.relation == "requester":
        key = next(k for k, v in people.items() if v == requester)
    elif step.by.relation == "claimant":
        key = claimant_key or "member"
    elif step.by.role in ("org_admin",):
        key = "org_admin"
    elif step.by.role in ("community_admin", "district_admin", "city_admin"):
        key = "admin"
    elif step.by.role == "resident":
        key = "resident"
    else:
        key = "member"
    return key, people[key]


def _path(workflow: CompiledWorkflow, start: str) -> list[str]:
    """Moving steps along a shortest path to a terminal state, avoiding cancel/reject if possible."""
    unhappy = {s for s in workflow.spec.states if workflow.outcome(s) not in (None, "done")}
    for avoid in (unhappy, set()):
        queue: deque[tuple[str, list[str]]] = deque([(start, [])])
        seen = {start}
        while queue:
            state, path = queue.popleft()
            if workflow.is_terminal(state):
                return path
            auto = workflow.auto_step_from(state)
            moves = [(auto[0], auto[1].to)] if auto else []
            moves += [(n, s.to) for n, s in workflow.human_steps_from(state).items() if s.to and s.to != state]
            for name, target in moves:
                if target not in seen and target not in avoid:
                    seen.add(target)
                    queue.append((target, path + [name]))
    return []


def _walk(factory, workflow: CompiledWorkflow, people: dict[str, int]) -> DryRun:
    result, now = DryRun(), datetime.now(UTC)
    name, start = next(iter(workflow.start_steps().items()))
    requester_key = "admin" if start.by.role == "community_admin" else "resident"
    with factory() as s:
        try:
            outcome = engine.start(s, people[requester_key], people["task_type"], _sample(start.form, people, now),
                                   community_id=people["community"], slot_id=people.get("slot"), now=now, auto=True)
        except Refused as exc:
            result.steps.append(DryStep(name, start.title, requester_key, None, None, False,
                                        exc.message() + " " + "；".join(f"{k}: {v}" for k, v in exc.fields.items())))
            return result
    result.steps.append(DryStep(name, start.title, requester_key, None, outcome.to_state, True, "OK"))
    demand, state, claimant = outcome.demand_id, outcome.to_state, None
    claimed: set[str] = set()
    for _ in range(len(workflow.spec.steps) * 2):
        if workflow.is_terminal(state):
            break
        extras = [(n, s) for n, s in workflow.human_steps_from(state).items()
                  if (s.to is None or s.to == state) and (s.claim or s.record in ("sign_in", "sign_out", "service"))
                  and n not in claimed]  # a sign-up open in two states is walked once
        path = _path(workflow, state)
        if not path:
            break
        first = workflow.step(path[0])
        moving = [(path[0], first)] if isinstance(first, HumanStep) else []
        for step_name, step in extras + moving:
            key, user = _actor(step, people, people[requester_key], claimant)
            when = now + timedelta(hours=2) if step.record == "sign_out" else now
            with factory() as s:
                try:
                    done = engine.act(s, user, demand, step_name, _sample(step.form, people, now), now=when, auto=True)
                    result.steps.append(DryStep(step_name, step.title, key, done.from_state, done.to_state, True, "OK"))
                    if step.claim:
                        claimant = "org_admin" if step.claim.holder == "org" else key
                        claimed.add(step_name)
                    if step.record == "assign":
                        claimant = "member"
                    state = done.to_state
                except Refused as exc:
                    result.steps.append(DryStep(step_name, step.title, key, state, None, False, exc.message() + " " +
                                                "；".join(f"{k}: {v}" for k, v in exc.fields.items())))
                    return result
        if not moving:
            break
    with factory() as s:
        from schemas.tables import Demand

        result.final_state = workflow.state_title(s.get(Demand, demand).state)
        for key in ("member", "resident", "org_admin"):
            result.points[key] = ledger.balance(s, people[key])
    return result
