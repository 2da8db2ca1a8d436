"""Constraints live in the database, not only in Python: each is proven by a write it refuses."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from schemas.tables import (
    AppointmentService,
    AppointmentSlot,
    Demand,
    Evaluation,
    Member,
    MemberRegistration,
    Organisation,
    OrgRegistration,
    Region,
    RegionLevel,
    ShopItem,
    TaskCategory,
    TaskType,
    User,
    WorkflowVersion,
)


@pytest.fixture
def base(session):
    """A community, a user who is a member, an organisation, a task type and a workflow version."""
    city = Region(level=RegionLevel.CITY, code="c", name="伊春市", path="/1/")
    session.add(city)
    session.flush()
    community = Region(parent_id=city.id, level=RegionLevel.COMMUNITY, code="k", name="旭日社区", path="/1/2/")
    user = User(username="u", display_name="王伟", password_hash="x")
    session.add_all([community, user])
    session.flush()
    org = Organisation(name="财政局党支部", work_unit="财政局", district_id=city.id)
    session.add_all([org, Member(user_id=user.id)])
    tt = TaskType(code="t", name="微心愿", category=TaskCategory.MICRO_WISH, workflow_id="w")
    wv = WorkflowVersion(workflow_id="w", version=1, content_hash="h", title="w", source="id: w")
    session.add_all([tt, wv])
    session.commit()
    return {"community": community, "user": user, "org": org, "tt": tt}


def _demand(base, **kw) -> Demand:
    fields = {"task_type_id": base["tt"].id, "workflow_id": "w", "workflow_version": 1, "workflow_hash": "h",
                  "state": "open", "title": "修灯", "community_id": base["community"].id}
    fields.update(kw)
    return Demand(**fields)


def _refused(session, *objects) -> None:
    session.add_all(objects)
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_member_registration_unique_per_community(session, base):
    session.add(MemberRegistration(member_id=base["user"].id, community_id=base["community"].id))
    session.commit()
    _refused(session, MemberRegistration(member_id=base["user"].id, community_id=base["community"].id))


def test_org_registration_unique_per_community(session, base):
    session.add(OrgRegistration(org_id=base["org"].id, community_id=base["community"].id))
    session.commit()
    _refused(session, OrgRegistration(org_id=base["org"].id, community_id=base["community"].id))


def test_foreign_keys_enforced(session, base):
    _refused(session, _demand(base, community_id=999_999))


def test_demand_taken_never_exceeds_capacity(session, base):
    _refused(session, _demand(base, capacity=2, taken=3))
    demand = _demand(base, capacity=2, taken=2)
    session.add(demand)
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(text("UPDATE demands SET taken = taken + 1 WHERE id = :id"), {"id": demand.id})
    session.rollback()


def test_demand_pinned_to_an_existing_workflow_version(session, base):
    _refused(session, _demand(base, workflow_version=2))


def test_stock_never_negative(session, base):
    _refused(session, ShopItem(community_id=base["community"].id, name="大米", price=10, stock=-1))


def test_slot_bookings_within_capacity(session, base):
    service = AppointmentService(community_id=base["community"].id, task_type_id=base["tt"].id, name="理发")
    session.add(service)
    session.flush()
    now = datetime.now(UTC)
    _refused(session, AppointmentSlot(service_id=service.id, starts_at=now, ends_at=now + timedelta(hours=1),
                                      capacity=2, booked=3))


def test_rating_between_one_and_five(session, base):
    demand = _demand(base)
    session.add(demand)
    session.commit()
    _refused(session, Evaluation(demand_id=demand.id, by_user_id=base["user"].id, rating=6))


@pytest.mark.parametrize("statement", ["UPDATE events SET step = 'x'", "DELETE FROM events"])
def test_event_log_is_append_only(session, base, statement):
    session.execute(
        text("INSERT INTO events (subject, subject_id, step, data, at) VALUES ('demand', 1, 's', '{}', :at)"),
        {"at": datetime.now(UTC).replace(tzinfo=None)},
    )
    session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text(statement))
    session.rollback()
    assert session.execute(text("SELECT step FROM events")).scalar_one() == "s"


def test_naive_datetimes_refused(session, base):
    demand = _demand(base, starts_at=datetime(2026, 1, 1))
    session.add(demand)
    with pytest.raises(Exception, match="naive datetime"):
        session.flush()
