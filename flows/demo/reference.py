"""The demo's reference data at the report's scale: regions, people, organisations, the talent
pool, task types, shops, news, appointment services and the convenience directory.

Deterministic (a fixed seed), so two machines load the same demo and tests can count it.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from flows.demo import names, sharing
from flows.people.regions import district_id
from schemas.clock import LOCAL_TZ, utcnow
from schemas.tables import (
    AppointmentService,
    AppointmentSlot,
    DirectoryEntry,
    DirectoryKind,
    DirectoryService,
    Member,
    MemberRegistration,
    NewsPost,
    Organisation,
    OrgRegistration,
    Region,
    RegionLevel,
    RegistrationStatus,
    Role,
    RoleGrant,
    ShopItem,
    Skill,
    TaskCategory,
    TaskType,
    User,
    member_skills,
)

DEMO_PASSWORD = "yijia2026"
MEMBERS = 1415
DIRECTORY_SERVICE_ITEMS = 1125
NEWS = 36
RESIDENTS_PER_COMMUNITY = 6

TASK_TYPES = [
    ("micro_wish", "微心愿", TaskCategory.MICRO_WISH, 10, "micro_wish"),
    ("urgent_need", "急难愁盼", TaskCategory.URGENT, 20, "micro_wish"),
    ("env_cleanup", "环境整治", TaskCategory.ACTIVITY, 15, "joint_activity"),
    ("elderly_care", "助老服务", TaskCategory.ACTIVITY, 15, "joint_activity"),
    ("civic_promo", "文明宣传", TaskCategory.ACTIVITY, 10, "joint_activity"),
    ("volunteer", "志愿服务事项", TaskCategory.VOLUNTEER, 5, "volunteer_item"),
    ("appointment", "预约服务", TaskCategory.APPOINTMENT, 8, "appointment"),
    ("resource", "资源共享申请", TaskCategory.APPOINTMENT, 6, "resource_request"),
]

Progress = Callable[[str, int], None]


def _person(rng: random.Random) -> str:
    return rng.choice(names.SURNAMES) + rng.choice(names.GIVEN)


def _near(rng: random.Random, lat: float, lng: float, spread: float = 0.02) -> tuple[float, float]:
    return round(lat + rng.uniform(-spread, spread), 6), round(lng + rng.uniform(-spread, spread), 6)


def load_reference(session: Session, progress: Progress) -> dict[str, int]:
    """Insert the reference data in the caller's transaction; returns what it created."""
    rng = random.Random(20261125)
    password = generate_password_hash(DEMO_PASSWORD)  # one hash: 1,415 scrypt runs would take minutes
    now = utcnow().replace(microsecond=0)

    city = _region(session, None, RegionLevel.CITY, "yichun", "伊春市", 47.7270, 128.8410)
    _user(session, "admin_city", "伊春市委组织部", password, [(Role.CITY_ADMIN, city.id, None)])
    communities: list[Region] = []
    district_of: dict[int, Region] = {}
    for d_name, d_code, lat, lng, streets in names.DISTRICTS:
        district = _region(session, city, RegionLevel.DISTRICT, d_code, d_name, lat, lng)
        _user(session, f"admin_{d_code}", f"{d_name}组织部", password, [(Role.DISTRICT_ADMIN, district.id, None)])
        for s_no, (s_name, c_names) in enumerate(streets, 1):
            s_lat, s_lng = _near(rng, lat, lng, 0.03)
            street = _region(session, district, RegionLevel.STREET, f"{d_code}-s{s_no}", s_name, s_lat, s_lng)
            for c_no, c_name in enumerate(c_names, 1):
                c_lat, c_lng = _near(rng, s_lat, s_lng, 0.01)
                code = f"{d_code}-s{s_no}-c{c_no}"
                community = _region(session, street, RegionLevel.COMMUNITY, code, c_name, c_lat, c_lng)
                community.address = f"伊春市{d_name}{s_name}{c_name}党群服务中心"
                community.phone = f"0458-36{len(communities) + 1:05d}"  # the "call the community" button
                communities.append(community)
                district_of[community.id] = district
    progress("regions", len(communities))

    admins = {}
    for community in communities:
        admins[community.id] = _user(
            session, f"admin_{community.code}", f"{community.name}书记", password,
            [(Role.COMMUNITY_ADMIN, community.id, None)],
        )
    skills = [Skill(code=code, name=name) for code, name in names.SKILLS]
    session.add_all(skills)
    session.flush()

    orgs: list[Organisation] = []
    for i, unit in enumerate(names.WORK_UNITS):
        community = communities[i % len(communities)]
        org = Organisation(
            name=f"{unit}党支部", work_unit=unit, district_id=district_of[community.id].id,
            contact_name=_person(rng), contact_phone=f"1390458{i:04d}",
        )
        session.add(org)
        session.flush()
        status = RegistrationStatus.PENDING if i >= 47 else RegistrationStatus.APPROVED
        session.add(OrgRegistration(org_id=org.id, community_id=community.id, status=status,
                                    decided_by=None if status is RegistrationStatus.PENDING else admins[community.id].id,
                                    decided_at=None if status is RegistrationStatus.PENDING else now))
        _user(session, f"org{i + 1:02d}", f"{unit}党支部书记", password, [(Role.ORG_ADMIN, None, org.id)])
        orgs.append(org)
    progress("organisations", len(orgs))

    _members(session, rng, password, communities, orgs, skills, admins, now)
    progress("members", MEMBERS)

    for community in communities:
        for r in range(RESIDENTS_PER_COMMUNITY):
            _user(session, f"res_{community.code}_{r + 1}", _person(rng), password,
                  [(Role.RESIDENT, community.id, None)], flush=False)
    session.flush()
    progress("residents", RESIDENTS_PER_COMMUNITY * len(communities))

    # Each district owns its task types (codes are unique within a district), so its admin
    # sets its own points for its own `micro_wish`.
    districts = {d.id: d for d in district_of.values()}
    session.add_all(
        TaskType(code=code, name=name, category=cat, default_points=pts, workflow_id=wf,
                 district_id=d.id)
        for d in districts.values() for code, name, cat, pts, wf in TASK_TYPES
    )
    session.flush()
    counts = {
        "communities": len(communities),
        "organisations": len(orgs),
        "members": MEMBERS,
        "directory_service_items": _directory(session, rng, communities),
    }
    progress("directory", counts["directory_service_items"])
    counts["shop_items"] = _shops(session, rng, communities)
    counts["news"] = _news(session, rng, communities, orgs, admins, now)
    counts["appointment_services"] = _appointments(session, rng, communities, orgs, now)
    counts["resources"] = sharing.load_resources(session, rng, communities, orgs, now.astimezone(LOCAL_TZ).date())
    progress("shops, news, appointments, resources", counts["shop_items"])
    return counts


def _region(session, parent, level, code, name, lat, lng) -> Region:
    region = Region(parent_id=parent.id if parent else None, level=level, code=code, name=name, lat=lat, lng=lng)
    session.add(region)
    session.flush()
    region.path = f"{parent.path if parent else '/'}{region.id}/"
    return region


def _user(session, username, display, password, grants, flush=True) -> User:
    user = User(username=username, display_name=display, password_hash=password)
    user.grants = [RoleGrant(role=role, region_id=region, org_id=org) for role, region, org in grants]
    session.add(user)
    if flush:
        session.flush()
    return user


def _members(session, rng, password, communities, orgs, skills, admins, now) -> None:
    """1,415 members in bulk: ORM objects one by one would take several seconds more."""
    rows = [
        {"username": f"m{i + 1:04d}", "display_name": _person(rng), "password_hash": password,
         "phone": f"1384580{i:04d}", "locale": "zh", "is_active": True, "created_at": now}
        for i in range(MEMBERS)
    ]
    session.execute(insert(User), rows)
    ids = session.scalars(select(User.id).where(User.username.like("m____")).order_by(User.username)).all()
    grants, members, regs, links = [], [], [], []
    for n, user_id in enumerate(ids):
        community = communities[rng.randrange(len(communities))]
        org = orgs[rng.randrange(len(orgs))]
        grants.append({"user_id": user_id, "role": Role.MEMBER, "region_id": community.id, "org_id": None})
        # a few ask to join 市财政局党支部 (org01's), for its admin to decide on 组织档案
        asks = orgs[0].id if n % 97 == 5 and org.id != orgs[0].id else None
        members.append({"user_id": user_id, "org_id": org.id, "work_unit": org.work_unit,
                        "availability": rng.choice(["周末", "工作日晚上", "随时", "节假日"]),
                        "org_requested_id": asks, "org_requested_at": now if asks else None})
        approved = n % 40 != 0
        regs.append({"member_id": user_id, "community_id": community.id,
                     "status": RegistrationStatus.APPROVED if approved else RegistrationStatus.PENDING,
                     "decided_by": admins[community.id].id if approved else None,
                     "decided_at": now if approved else None, "created_at": now})
        for skill in rng.sample(skills, rng.randint(1, 3)):
            links.append({"member_id": user_id, "skill_id": skill.id})
    session.execute(insert(RoleGrant), grants)
    session.execute(insert(Member), members)
    session.execute(insert(MemberRegistration), regs)
    session.execute(insert(member_skills), links)


def _directory(session, rng, communities) -> int:
    """Enterprises and merchants around each community until the report's 1,125 items."""
    total, n = 0, 0
    while total < DIRECTORY_SERVICE_ITEMS:
        community = communities[n % len(communities)]
        is_merchant = n % 3 != 0
        kind_name, items = rng.choice(names.MERCHANT_KINDS if is_merchant else names.ENTERPRISE_KINDS)
        lat, lng = _near(rng, community.lat, community.lng, 0.008)
        entry = DirectoryEntry(
            community_id=community.id,
            kind=DirectoryKind.MERCHANT if is_merchant else DirectoryKind.ENTERPRISE,
            name=f"{community.name.removesuffix('社区')}{rng.choice(names.SURNAMES)}记{kind_name}" if is_merchant
            else f"{community.name.removesuffix('社区')}{kind_name}",
            address=f"{community.name}{rng.randint(1, 120)}号", phone=f"0458-{rng.randint(3000000, 3999999)}",
            hours=rng.choice(["8:00-18:00", "9:00-20:00", "7:30-17:30"]), lat=lat, lng=lng,
        )
        session.add(entry)
        session.flush()
        for item in items[: DIRECTORY_SERVICE_ITEMS - total]:
            session.add(DirectoryService(entry_id=entry.id, name=item, category=kind_name))
            total += 1
        n += 1
    return total


def _shops(session, rng, communities) -> int:
    count = 0
    for community in communities:
        for name, price, desc in rng.sample(names.SHOP_ITEMS, 8):
            session.add(ShopItem(community_id=community.id, name=name, description=desc, price=price,
                                 stock=rng.randint(5, 40), limit_qty=rng.choice([None, 1, 2])))
            count += 1
    return count


def _news(session, rng, communities, orgs, admins, now) -> int:
    for i in range(NEWS):
        community, org = communities[i % len(communities)], orgs[i % len(orgs)]
        title = names.NEWS_TITLES[i % len(names.NEWS_TITLES)].format(c=community.name, o=org.work_unit)
        session.add(NewsPost(region_id=community.id, title=title, summary=title,
                             body=f"{title}。活动中，党员志愿者积极参与，群众纷纷点赞。", author_id=admins[community.id].id,
                             published_at=now - timedelta(days=i * 3, hours=rng.randint(0, 12))))
    return NEWS


def _appointments(session, rng, communities, orgs, now) -> int:
    types = {t.district_id: t for t in session.scalars(select(TaskType).where(TaskType.code == "appointment",
                                                                             TaskType.district_id.is_not(None)))}
    count = 0
    day0 = now.replace(hour=0, minute=0, second=0)
    for community in communities:
        for name in rng.sample(["义务理发", "法律咨询", "健康体检", "家电维修", "心理咨询"], 2):
            service = AppointmentService(community_id=community.id, task_type_id=types[district_id(community.path)].id,
                                         provider_org_id=rng.choice(orgs).id, name=name,
                                         description=f"{community.name}{name}，请提前预约。")
            session.add(service)
            session.flush()
            # two days gone (the appointments already served were booked there: 完成服务 waits
            # for the booked time) and the coming week, to book
            for day in [-2, -1, *range(1, 8)]:
                start = day0 + timedelta(days=day, hours=1)  # 09:00 in Yichun (UTC+8)
                session.add(AppointmentSlot(service_id=service.id, starts_at=start,
                                            ends_at=start + timedelta(hours=2), capacity=rng.choice([2, 3, 4])))
            count += 1
    return count
