"""A small world for engine and ledger tests: two districts, a community in each, and one
user of every role, with the programme's workflows published."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flows.points import rules
from flows.workflow import registry
from schemas.clock import utcnow
from schemas.settings import ROOT
from schemas.tables import (
    AppointmentService,
    AppointmentSlot,
    Member,
    MemberRegistration,
    Organisation,
    OrgRegistration,
    PointPolicy,
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


def _recent_ten_in_beijing() -> datetime:
    """The last 10:00 in Beijing (02:00 UTC) before now: a working morning, never in the future.

    The world's clock follows the real one because pages read the real clock: a fixed date
    turned every "within: 2d" into an overdue case two days after it was written."""
    real = datetime.now(UTC)
    ten = real.replace(hour=2, minute=0, second=0, microsecond=0)
    return ten if ten <= real else ten - timedelta(days=1)


NOW = _recent_ten_in_beijing()


@dataclass
class World:
    ids: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, key: str) -> int:
        return self.ids[key]


def build_world(factory) -> World:
    """Create the world in one transaction; returns the ids by name."""
    w = World()
    with factory() as s, s.begin():
        def region(code, level, parent, name):
            r = Region(code=code, level=level, name=name, parent_id=parent.id if parent else None, lat=47.7, lng=128.8)
            s.add(r)
            s.flush()
            r.path = f"{parent.path if parent else '/'}{r.id}/"
            w.ids[code] = r.id
            return r

        city = region("city", RegionLevel.CITY, None, "伊春市")
        d1 = region("d1", RegionLevel.DISTRICT, city, "伊美区")
        d2 = region("d2", RegionLevel.DISTRICT, city, "铁力市")
        s1 = region("s1", RegionLevel.STREET, d1, "旭日街道")
        s2 = region("s2", RegionLevel.STREET, d2, "铁力镇")
        ca = region("ca", RegionLevel.COMMUNITY, s1, "旭日社区")
        cb = region("cb", RegionLevel.COMMUNITY, s2, "站前社区")
        repair = Skill(code="repair", name="水电维修")
        s.add(repair)
        org1 = Organisation(name="财政局党支部", work_unit="财政局", district_id=d1.id)
        org2 = Organisation(name="税务局党支部", work_unit="税务局", district_id=d2.id)
        s.add_all([org1, org2])
        s.flush()
        w.ids.update(org1=org1.id, org2=org2.id)
        s.add_all([OrgRegistration(org_id=org1.id, community_id=ca.id, status=RegistrationStatus.APPROVED),
                   OrgRegistration(org_id=org2.id, community_id=cb.id, status=RegistrationStatus.APPROVED)])

        def user(name, grants=(), member_of=None, registered=None, skills=(), status=RegistrationStatus.APPROVED):
            u = User(username=name, display_name=name, password_hash="x")
            u.grants = [RoleGrant(role=role, region_id=reg.id if reg else None, org_id=org.id if org else None)
                        for role, reg, org in grants]
            s.add(u)
            s.flush()
            w.ids[name] = u.id
            if member_of is not None:
                m = Member(user_id=u.id, org_id=member_of.id, work_unit=member_of.work_unit)
                m.skills = list(skills)
                s.add(m)
                s.flush()
                if registered is not None:
                    s.add(MemberRegistration(member_id=u.id, community_id=registered.id, status=status))
            return u

        user("res_a", [(Role.RESIDENT, ca, None)])
        user("res_a2", [(Role.RESIDENT, ca, None)])
        user("res_b", [(Role.RESIDENT, cb, None)])
        user("mem1", [(Role.MEMBER, ca, None)], org1, ca, [repair])
        user("mem2", [(Role.MEMBER, ca, None)], org1, ca)
        user("mem3", [(Role.MEMBER, cb, None)], org2, cb, [repair])
        user("mem_pending", [(Role.MEMBER, ca, None)], org1, ca, status=RegistrationStatus.PENDING)
        user("resmem", [(Role.RESIDENT, ca, None), (Role.MEMBER, ca, None)], org1, ca)
        user("orgadm1", [(Role.ORG_ADMIN, None, org1)])
        user("orgadm2", [(Role.ORG_ADMIN, None, org2)])
        user("cadm_a", [(Role.COMMUNITY_ADMIN, ca, None)])
        user("cadm_b", [(Role.COMMUNITY_ADMIN, cb, None)])
        user("dadm1", [(Role.DISTRICT_ADMIN, d1, None)])
        user("cityadm", [(Role.CITY_ADMIN, city, None)])
        for code, category, points, workflow in [
            ("micro_wish", TaskCategory.MICRO_WISH, 10, "micro_wish"),
            ("env_cleanup", TaskCategory.ACTIVITY, 15, "joint_activity"),
            ("volunteer", TaskCategory.VOLUNTEER, 5, "volunteer_item"),
            ("appointment", TaskCategory.APPOINTMENT, 8, "appointment"),
        ]:
            t = TaskType(code=code, name=code, category=category, default_points=points, workflow_id=workflow)
            s.add(t)
            s.flush()
            w.ids[f"tt_{code}"] = t.id
        service = AppointmentService(community_id=ca.id, task_type_id=w["tt_appointment"], name="义务理发")
        s.add(service)
        s.flush()
        # a day after NOW, or two when that is within three hours of the real clock: NOW is read at
        # import, and a run that crosses 10:00 in Beijing found the slot begun (no longer bookable)
        day = timedelta(days=1) if NOW + timedelta(days=1) > utcnow() + timedelta(hours=3) else timedelta(days=2)
        slot = AppointmentSlot(service_id=service.id, starts_at=NOW + day, ends_at=NOW + day + timedelta(hours=2),
                               capacity=2)
        s.add(slot)
        s.flush()
        w.ids.update(service=service.id, slot=slot.id)
        registry.sync_directory(s, ROOT / "workflows")
        if s.get(PointPolicy, 1) is None:  # the migration's row (gone after PostgreSQL's TRUNCATE)
            s.add(PointPolicy(id=1, **rules.DEFAULTS))
    return w


def add_members(factory, world: World, prefix: str, count: int) -> list[int]:
    """`count` more members of org1 (`{prefix}0`, `{prefix}1` …) registered with community A,
    inserted in bulk; for the race tests that need a crowd. Returns their ids in order."""
    from sqlalchemy import insert, select

    with factory() as s, s.begin():
        s.execute(insert(User), [{"username": f"{prefix}{i}", "display_name": f"党员{i}", "password_hash": "x",
                                  "locale": "zh", "is_active": True, "created_at": NOW} for i in range(count)])
        ids = list(s.scalars(select(User.id).where(User.username.like(f"{prefix}%")).order_by(User.id)))
        s.execute(insert(RoleGrant), [{"user_id": u, "role": Role.MEMBER, "region_id": world["ca"]} for u in ids])
        s.execute(insert(Member), [{"user_id": u, "org_id": world["org1"]} for u in ids])
        s.execute(insert(MemberRegistration), [{"member_id": u, "community_id": world["ca"], "created_at": NOW,
                                                "status": RegistrationStatus.APPROVED} for u in ids])
    return ids


def an_order(factory, world: World, user: str, item: str, price: int, *, points: int | None = None,
             stock: int = 5) -> int:
    """A shop item in 旭日社区, `points` (the price by default) awarded to `user`, and their order
    of one: what the counter's, the cancel's and the QR code's tests start from."""
    from flows.points import ledger, shop
    from schemas.tables import ShopItem

    with factory() as s:
        shelf = ShopItem(community_id=world["ca"], name=item, price=price, stock=stock)
        s.add(shelf)
        s.commit()
        ledger.post(s, f"gift:{user}:{item}", ledger.PostingKind.AWARD, "奖励", [
            ledger.Move(ledger.issuance_account(s), -(points or price)),
            ledger.Move(ledger.user_account(s, world[user]), points or price)])
        s.commit()
        return shop.redeem(s, world[user], shelf.id, now=NOW).id


def the_start_comes(factory, demand_id: int) -> None:
    """The demand's own time begins (结束活动 and 完成服务 are offered only then: `guards:
    [after_start]`): its start moved to a minute ago, its end kept, as the clock of a walk in
    real time cannot wait."""
    from schemas.clock import utcnow
    from schemas.tables import Demand

    with factory() as s, s.begin():
        s.get_one(Demand, demand_id).starts_at = utcnow() - timedelta(minutes=1)
