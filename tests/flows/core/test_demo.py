"""The demo loads at the report's scale, and a second run adds nothing."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from flows.demo import load_demo
from flows.engine import figures
from flows.points import ledger
from schemas.clock import utcnow
from schemas.tables import (
    Demand,
    DirectoryService,
    Member,
    NewsPost,
    Organisation,
    Region,
    RegionLevel,
    Resource,
    ResourceBooking,
    ShopItem,
    User,
)


def _counts(session) -> dict[str, int]:
    def count(model, *where):
        return session.scalar(select(func.count()).select_from(model).where(*where))

    return {
        "districts": count(Region, Region.level == RegionLevel.DISTRICT),
        "communities": count(Region, Region.level == RegionLevel.COMMUNITY),
        "organisations": count(Organisation),
        "members": count(Member),
        "directory": count(DirectoryService),
        "news": count(NewsPost),
        "shop": count(ShopItem),
        "users": count(User),
        "demands": count(Demand),
        "resources": count(Resource),
        "resource_requests": count(ResourceBooking),
    }


def test_demo_scale_and_idempotence(factory):
    load_demo(factory)
    with factory() as session:
        first = _counts(session)
        names = set(session.scalars(select(Region.name).where(Region.level == RegionLevel.DISTRICT)))
    assert names == {"伊美区", "铁力市", "嘉荫县"}
    assert first["communities"] >= 20
    assert first["organisations"] == 49
    assert first["members"] == 1415
    assert first["directory"] == 1125
    assert first["news"] == 36
    assert first["shop"] > 0
    assert first["resources"] >= 100 and first["resource_requests"] >= 200
    with factory() as session:
        states = set(session.execute(select(Demand.workflow_id, Demand.state)).all())
        assert ledger.check(session) == []
        assert figures.check(session) == []  # the dashboard's tallies equal a recount
    for workflow, state in [
        ("micro_wish", "review"), ("micro_wish", "open"), ("micro_wish", "claimed"), ("micro_wish", "served"),
        ("micro_wish", "done"), ("micro_wish", "rejected"), ("micro_wish", "cancelled"),
        ("joint_activity", "draft"), ("joint_activity", "open"), ("joint_activity", "recruiting"),
        ("joint_activity", "running"), ("joint_activity", "finished"), ("joint_activity", "done"),
        ("joint_activity", "cancelled"), ("volunteer_item", "open"), ("appointment", "booked"),
        ("appointment", "assigned"), ("appointment", "served"), ("appointment", "done"),
        ("resource_request", "requested"), ("resource_request", "approved"), ("resource_request", "done"),
        ("resource_request", "declined"), ("resource_request", "cancelled"),
    ]:
        assert (workflow, state) in states
    with factory() as session:  # what the README's journeys grab and join is still to come
        to_come = session.execute(select(Demand.state, Demand.starts_at).where(
            Demand.workflow_id == "joint_activity", Demand.state.in_(["draft", "open", "recruiting"]))).all()
    assert to_come and all(starts > utcnow() for _, starts in to_come)
    load_demo(factory)
    with factory() as session:
        assert _counts(session) == first
    # a day later too: the bookings' titles name the slots that day would pick (the review)
    from flows.demo.demands import load_demands

    assert load_demands(factory, lambda _stage, _n: None, now=utcnow() + timedelta(days=1)) == {}
    with factory() as session:
        assert _counts(session) == first
