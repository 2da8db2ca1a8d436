"""Demo demands in every state of every workflow, made through the engine like real ones.

Some start days in the past, so the demo has overdue (stuck) cases to show. Idempotent: a
demand whose (community, title) exists is skipped.
"""
from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from flows import engine
from flows.core.refusals import Refused
from flows.demo import names, sharing
from flows.people import regions
from flows.workflow import registry
from schemas.clock import utcnow
from schemas.settings import get_settings
from schemas.tables import (
    AppointmentService,
    AppointmentSlot,
    Booking,
    Demand,
    Member,
    MemberRegistration,
    OrgRegistration,
    Region,
    RegionLevel,
    RegistrationStatus,
    ResourceBooking,
    Role,
    RoleGrant,
    TaskType,
)

WISH_PLAN = ["review", "open", "open_overdue", "claimed", "served", "done"]
ACTIVITY_PLAN = ["open", "recruiting", "running", "done", "finished", "draft", "cancelled", "done"]
APPOINTMENTS = 119


class _Cast:
    """Who plays each part in each community (looked up once)."""

    def __init__(self, session: Session):
        self.communities = session.scalars(select(Region).where(Region.level == RegionLevel.COMMUNITY)
                                           .order_by(Region.id)).all()
        self.admin = {}
        for user_id, region_id in session.execute(select(RoleGrant.user_id, RoleGrant.region_id)
                                                  .where(RoleGrant.role == Role.COMMUNITY_ADMIN)):
            self.admin[region_id] = user_id
        self.residents = defaultdict(list)
        for user_id, region_id in session.execute(select(RoleGrant.user_id, RoleGrant.region_id)
                                                  .where(RoleGrant.role == Role.RESIDENT).order_by(RoleGrant.user_id)):
            self.residents[region_id].append(user_id)
        self.members = defaultdict(list)
        for member_id, community_id in session.execute(
                select(MemberRegistration.member_id, MemberRegistration.community_id)
                .where(MemberRegistration.status == RegistrationStatus.APPROVED).order_by(MemberRegistration.member_id)):
            self.members[community_id].append(member_id)
        self.orgs = defaultdict(list)
        for org_id, community_id in session.execute(select(OrgRegistration.org_id, OrgRegistration.community_id)
                                                    .where(OrgRegistration.status == RegistrationStatus.APPROVED)):
            self.orgs[community_id].append(org_id)
        self.org_admin = {org: user for user, org in session.execute(
            select(RoleGrant.user_id, RoleGrant.org_id).where(RoleGrant.role == Role.ORG_ADMIN))}
        self.org_members = defaultdict(list)
        for member_id, member_org in session.execute(select(Member.user_id, Member.org_id).order_by(Member.user_id)):
            self.org_members[member_org].append(member_id)
        self.task_type = {(district, code): id_ for district, code, id_ in session.execute(
            select(TaskType.district_id, TaskType.code, TaskType.id))}
        self.existing = set(session.execute(select(Demand.community_id, Demand.title)).all())


def load_demands(factory: sessionmaker[Session], progress: Callable[[str, int], None],
                 now: datetime | None = None) -> dict[str, int]:
    """Publish the workflows, then make the demo demands; returns how many were added.

    A second run adds nothing. Wishes, activities and volunteer items are known by their titles;
    appointments and resource requests are named by the day and hour they book, which depend on
    the day of the load, so those two are made only when none exists yet (a run on a later day
    picked other slots, booked them over the first run's and stopped half-way)."""
    with factory() as session:
        registry.sync_directory(session, get_settings().workflows_dir)
        session.commit()
        cast = _Cast(session)
        booked = session.scalar(select(Booking.id).limit(1)) is not None
        shared = session.scalar(select(ResourceBooking.id).limit(1)) is not None
    rng = random.Random(7)
    now = (now or utcnow()).replace(microsecond=0)
    added = 0
    for i, community in enumerate(cast.communities):
        plan = WISH_PLAN + (["rejected", "cancelled"] if i % 4 == 0 else [])
        for n, stage in enumerate(plan):
            added += _wish(factory, cast, rng, community, names.WISHES[(i + n) % len(names.WISHES)], stage, now)
        for n in range(2):
            stage = ACTIVITY_PLAN[(i + n) % len(ACTIVITY_PLAN)]
            added += _activity(factory, cast, community, names.ACTIVITIES[(i * 2 + n) % len(names.ACTIVITIES)],
                               stage, now - timedelta(days=12 - i % 10), n, now + timedelta(hours=i % 8))
        added += _volunteer(factory, cast, community, now)
    progress("demands", added)
    added += 0 if booked else _appointments(factory, cast, now)
    progress("appointments", APPOINTMENTS)
    requests = 0 if shared else _resource_requests(factory, cast, now)
    progress("resource requests", requests)
    added += requests
    return {"demands": added} if added else {}


def _act(factory, user, demand_id, step, data=None, now=None):
    with factory() as s:
        return engine.act(s, user, demand_id, step, data or {}, now=now, present=True)  # the demo's people were there


def _start(factory, cast, user, code, community, data, now, **kw) -> int | None:
    if (community.id, data["title"]) in cast.existing:
        return None
    district = regions.district_id(community.path)
    with factory() as s:
        outcome = engine.start(s, user, cast.task_type[(district, code)], data, community_id=community.id,
                               now=now, **kw)
    cast.existing.add((community.id, data["title"]))
    return outcome.demand_id


def _wish(factory, cast, rng, community, title, stage, now) -> int:
    resident = cast.residents[community.id][rng.randrange(len(cast.residents[community.id]))]
    admin, members = cast.admin[community.id], cast.members[community.id]
    posted = now - timedelta(days=5 if stage == "open_overdue" else 1, hours=rng.randint(0, 20))
    title = f"{title}（{community.name}）"
    demand = _start(factory, cast, resident, "urgent_need" if stage == "open_overdue" else "micro_wish", community,
                    {"title": title, "place": f"{community.name}{rng.randint(1, 30)}号楼"}, posted)
    if demand is None:
        return 0
    if stage in ("rejected", "cancelled"):
        user, step, data = (admin, "reject", {"reason": "不属于社区服务范围"}) if stage == "rejected" \
            else (resident, "cancel", {})
        _act(factory, user, demand, step, data, now=posted + timedelta(hours=1))
        return 1
    order = ["review", "open", "claimed", "served", "done"]
    target = order.index("open" if stage == "open_overdue" else stage)
    member = members[rng.randrange(len(members))]
    steps = [(admin, "publish", {}), (member, "claim", {}), (member, "serve", {"hours": rng.choice([1, 1.5, 2, 3]),
              "note": "已上门完成"}), (resident, "evaluate", {"rating": rng.choice([4, 5, 5])})]
    for user, step, data in steps[:target]:
        _act(factory, user, demand, step, data, now=posted + timedelta(hours=1))
    return 1


def _activity(factory, cast, community, title, stage, when, n, now) -> int:
    """An activity posted at `when`, taken to `stage`. One still to come (a draft, one waiting to
    be grabbed or recruiting) starts days after `now` (the load's time, a few hours apart from
    one community to the next, so that an organisation's members in several communities have no
    clash), so that the journeys the README names (一键抢单, 报名) can be walked; the others
    happened around `when`."""
    orgs = cast.orgs.get(community.id)
    if not orgs:
        return 0
    admin, org = cast.admin[community.id], orgs[n % len(orgs)]
    to_come = stage in ("open", "recruiting", "draft")
    starts = (now + timedelta(days=3 + n) if to_come else when) + timedelta(hours=1 + 3 * n)
    demand = _start(factory, cast, admin, ["env_cleanup", "elderly_care", "civic_promo"][n % 3], community,
                    {"title": f"{title}（{community.name}）", "description": f"{community.name}{title}，欢迎报名参加。",
                     "place": community.address or community.name, "starts_at": starts.isoformat(),
                     "ends_at": (starts + timedelta(hours=2)).isoformat(), "capacity": 8}, when)
    if demand is None:
        return 0
    if stage in ("draft", "cancelled"):
        if stage == "cancelled":
            _act(factory, admin, demand, "cancel", now=when)
        return 1
    _act(factory, admin, demand, "publish", now=when)
    if stage == "open":
        return 1
    _act(factory, cast.org_admin[org], demand, "grab", now=when)
    people = []
    for member in cast.org_members[org][:6]:
        try:
            _act(factory, member, demand, "sign_up", now=when)
            people.append(member)
        except Refused:
            pass  # a time clash with another demo activity: like life
    if stage == "recruiting":
        return 1
    _act(factory, admin, demand, "begin", now=starts)
    for member in people[:4]:
        _act(factory, member, demand, "sign_in", now=starts)
        if stage in ("done", "finished"):
            _act(factory, member, demand, "sign_out", now=starts + timedelta(hours=2))
    if stage in ("done", "finished"):
        _act(factory, admin, demand, "finish", now=starts + timedelta(hours=2))
    if stage == "done":
        _act(factory, admin, demand, "evaluate", {"rating": 5, "comment": "组织有序，效果很好"},
             now=starts + timedelta(hours=3))
    return 1


def _volunteer(factory, cast, community, now) -> int:
    admin, members = cast.admin[community.id], cast.members[community.id]
    when = now - timedelta(days=20)
    demand = _start(factory, cast, admin, "volunteer", community,
                    {"title": f"独居老人定期探访（{community.name}）", "description": "每周探访辖区独居老人，陪聊、代购。",
                     "capacity": 20}, when)
    if demand is None:
        return 0
    for k, member in enumerate(members[:2]):
        try:
            _act(factory, member, demand, "join", now=when)
            _act(factory, member, demand, "report", {"hours": 2 + k, "note": "上门探访"}, now=when + timedelta(days=1))
        except Refused:
            pass
    return 1


def _appointments(factory, cast, now) -> int:
    """Bookings at each stage. One served (or rated) was booked on a slot that has passed, and
    each step came at its time around that slot: 完成服务 is refused before the booked time. One
    still waiting (booked, assigned) holds a slot to come."""
    with factory() as s:
        slots = s.execute(select(AppointmentSlot.id, AppointmentService.community_id, AppointmentService.name,
                                 AppointmentSlot.starts_at)
                          .join(AppointmentService, AppointmentService.id == AppointmentSlot.service_id)
                          .order_by(AppointmentSlot.id)).all()
    passed = iter([slot for slot in slots if _aware(slot.starts_at) < now])
    to_come = iter([slot for slot in slots if _aware(slot.starts_at) >= now])
    communities = {c.id: c for c in cast.communities}
    added = 0
    for n in range(APPOINTMENTS):
        stage = n % 4
        slot = next(passed if stage >= 2 else to_come, None)
        if slot is None:
            continue
        slot_id, community_id, service, starts_at = slot
        at = _aware(starts_at)
        community = communities[community_id]
        resident = cast.residents[community_id][n % len(cast.residents[community_id])]
        booked, assigned = (at - timedelta(days=2), at - timedelta(days=1)) if stage >= 2 else (
            now - timedelta(days=2), now - timedelta(days=1))
        demand = _start(factory, cast, resident, "appointment", community,
                        {"title": f"{service}预约（{sharing.day_and_hour(starts_at)}）"}, booked, slot_id=slot_id)
        if demand is None:
            continue
        added += 1
        member = cast.members[community_id][n % len(cast.members[community_id])]
        if stage >= 1:
            _act(factory, cast.admin[community_id], demand, "assign", {"assignee": member}, now=assigned)
        if stage >= 2:
            _act(factory, member, demand, "serve", {"hours": 1}, now=at + timedelta(hours=2))
        if stage >= 3:
            _act(factory, resident, demand, "evaluate", {"rating": 5}, now=at + timedelta(hours=4))
    return added


def _aware(at: datetime) -> datetime:
    """A slot's time as read (UTCDateTime gives it aware on both engines; kept for a value a
    caller built by hand), comparable with the load's `now`."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _resource_requests(factory, cast, now) -> int:
    """Requests for the demo's shared resources (flows/demo/sharing.py), through the engine."""
    def start(user, community, data, when, resource_id):
        return _start(factory, cast, user, "resource", community, data, when, resource_id=resource_id)

    def act(user, demand, step, data, when):
        _act(factory, user, demand, step, data, now=when)

    with factory() as session:
        return sharing.load_requests(session, cast, now, start, act)


__all__ = ["load_demands"]
