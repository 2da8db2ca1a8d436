"""The dry run's world: a throwaway in-memory database holding a copy of the admin's district
(its name, one of its communities, the task type's points) and one person per role, each
holding exactly that role and nothing more, so a step passes only if its `by:` is right."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from flows.workflow.compiled import CompiledWorkflow
from schemas.tables import (
    Account,
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
    Resource,
    ResourceKind,
    Role,
    RoleGrant,
    Skill,
    TaskCategory,
    TaskType,
    User,
)

# The people of the sandbox, by party: each holds exactly one role, and there are two of each
# (`member2`, `community_admin2` …), so that a step guarded by `not_requester` can be taken by
# someone of the requester's role who is not the requester, as in any real community.
_ROLES = {"resident": Role.RESIDENT, "member": Role.MEMBER, "org_admin": Role.ORG_ADMIN,
          "community_admin": Role.COMMUNITY_ADMIN, "district_admin": Role.DISTRICT_ADMIN, "city_admin": Role.CITY_ADMIN}
PARTIES = {**_ROLES, **{f"{key}2": role for key, role in _ROLES.items()}}


@dataclass(frozen=True)
class DistrictCopy:
    """What of the admin's district the sandbox copies: names, and the task type's points."""

    city: str = "示例市"
    district: str = "示例区"
    community: str = "示例社区"
    points: int = 10
    lat: float = 47.72
    lng: float = 128.84


@dataclass
class Sandbox:
    engine: Engine
    factory: sessionmaker[Session]
    ids: dict[str, int] = field(default_factory=dict)
    slots: int = 0

    def user(self, party: str) -> int:
        return self.ids[party]

    def party_of(self, user_id: int | None) -> str:
        return next((k for k in PARTIES if self.ids.get(k) == user_id), "system")

    def new_slot(self, session: Session, start: datetime) -> int:
        """A free slot of the sample service (each sample demand books its own)."""
        self.slots += 1
        slot = AppointmentSlot(service_id=self.ids["service"], capacity=1,
                               starts_at=start + timedelta(days=self.slots), ends_at=start + timedelta(days=self.slots,
                                                                                                     hours=1))
        session.add(slot)
        session.flush()
        return slot.id

    def new_resource(self, session: Session) -> int:
        """A resource of the sample organisation, open any time (each sample demand books its own)."""
        resource = Resource(community_id=self.ids["community"], org_id=self.ids["org"], kind=ResourceKind.ROOM,
                            name="样例活动室")
        session.add(resource)
        session.flush()
        return resource.id

    def points(self) -> dict[str, int]:
        """Each party's balance, and the organisation's."""
        with self.factory() as s:
            rows = s.execute(select(Account.code, Account.balance)).all()
        balances = {code: int(balance) for code, balance in rows}
        result = {party: balances.get(f"user:{self.ids[party]}", 0) for party in PARTIES}
        result["org"] = balances.get(f"org:{self.ids['org']}", 0)
        return {party: points for party, points in result.items() if points}

    def dispose(self) -> None:
        self.engine.dispose()


def build(workflow: CompiledWorkflow, copy: DistrictCopy) -> Sandbox:
    """A fresh in-memory database with the schema, the district copy and its people."""
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    event.listen(engine, "connect", lambda c, _r: c.execute("PRAGMA foreign_keys=ON"))
    Base.metadata.create_all(engine)  # a scratch copy of the schema; the real one is Alembic's
    box = Sandbox(engine, sessionmaker(engine, expire_on_commit=False))
    with box.factory() as s, s.begin():
        _regions(s, box, copy)
        _people(s, box, workflow)
        task_type = TaskType(code="sample", name=workflow.spec.title, category=TaskCategory(workflow.spec.category),
                             default_points=copy.points, workflow_id=workflow.id, district_id=box.ids["district"])
        s.add(task_type)
        s.flush()
        box.ids["task_type"] = task_type.id
        service = AppointmentService(community_id=box.ids["community"], task_type_id=task_type.id, name="示例服务")
        s.add(service)
        s.flush()
        box.ids["service"] = service.id
    return box


def _regions(s: Session, box: Sandbox, copy: DistrictCopy) -> None:
    parent = None
    for level, name in [(RegionLevel.CITY, copy.city), (RegionLevel.DISTRICT, copy.district),
                        (RegionLevel.STREET, "示例街道"), (RegionLevel.COMMUNITY, copy.community)]:
        region = Region(level=level, code=level.value, name=name, parent_id=parent.id if parent else None,
                        lat=copy.lat, lng=copy.lng)
        s.add(region)
        s.flush()
        region.path = f"{parent.path if parent else '/'}{region.id}/"
        box.ids[level.value] = region.id
        parent = region


def _people(s: Session, box: Sandbox, workflow: CompiledWorkflow) -> None:
    org = Organisation(name="示例党支部", work_unit="示例单位", district_id=box.ids["district"])
    skills = [Skill(code=code, name=code) for code in _skill_codes(workflow)]
    s.add_all([org, *skills])
    s.flush()
    box.ids["org"] = org.id
    s.add(OrgRegistration(org_id=org.id, community_id=box.ids["community"], status=RegistrationStatus.APPROVED))
    scope = {Role.RESIDENT: "community", Role.MEMBER: "community", Role.COMMUNITY_ADMIN: "community",
             Role.DISTRICT_ADMIN: "district", Role.CITY_ADMIN: "city"}
    for party, role in PARTIES.items():
        user = User(username=party, display_name=party, password_hash="!")
        user.grants = [RoleGrant(role=role, region_id=box.ids[scope[role]] if role in scope else None,
                                 org_id=org.id if role is Role.ORG_ADMIN else None)]
        s.add(user)
        s.flush()
        box.ids[party] = user.id
        if role is Role.MEMBER:
            member = Member(user_id=user.id, org_id=org.id)
            member.skills = skills
            s.add(member)
            s.flush()  # no ORM relationship orders these two inserts for us
            s.add(MemberRegistration(member_id=user.id, community_id=box.ids["community"],
                                     status=RegistrationStatus.APPROVED))


def _skill_codes(workflow: CompiledWorkflow) -> list[str]:
    codes: set[str] = set()
    for step in workflow.start_steps().values():
        field_ = step.form.get("required_skills")
        if field_ is not None and field_.type == "choice":
            codes |= set(field_.choices)
    return sorted(codes)
