"""Keeping resources: owners manage only their own (and admins those of their communities);
weekly hours read from text; suggestions match the need and say why."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from flows import engine
from flows.core.refusals import Refused
from flows.people.actors import load_actor
from flows.sharing import matching, resources
from flows.sharing.calendar import hours_text, parse_hours
from schemas.tables import AuditLog, Resource, ResourceHours, ResourceKind
from tests.flows.sharing.shared import add_sharing, local, request
from tests.world import build_world


@pytest.fixture
def world(factory):
    return add_sharing(factory, build_world(factory))


@pytest.mark.parametrize(("user", "resource", "allowed"), [
    ("orgadm1", "room", True), ("orgadm2", "room", False), ("cadm_a", "room", True), ("cadm_b", "room", False),
    ("dadm1", "room", True), ("mem1", "room", False), ("res_a", "room", False), ("orgadm1", "projector", False),
    ("orgadm2", "projector", True),
])
def test_owners_manage_only_their_own(factory, world, user, resource, allowed):
    with factory() as s:
        actor = load_actor(s, world[user])
        if allowed:
            resources.update(s, actor, world[resource], {"rules": "用后请关灯"})
            resources.set_hours(s, actor, world[resource], "周六 08:00-12:00")
            resources.add_closure(s, actor, world[resource], date(2026, 12, 25), "停电")
        else:
            for call in (lambda: resources.update(s, actor, world[resource], {"rules": "x"}),
                         lambda: resources.set_hours(s, actor, world[resource], "周六 08:00-12:00"),
                         lambda: resources.add_closure(s, actor, world[resource], date(2026, 12, 25), None)):
                with pytest.raises(Refused) as exc:
                    call()
                assert exc.value.code == "resource.not_owner"
    with factory() as s:
        assert (s.get(Resource, world[resource]).rules == "用后请关灯") is allowed
        assert bool(s.scalar(select(AuditLog.id).where(AuditLog.table_name == "resources"))) is allowed


def test_create_for_own_org_only(factory, world):
    with factory() as s:
        actor = load_actor(s, world["orgadm1"])
        made = resources.create(s, actor, world["org1"], world["ca"], {"name": "活动车", "kind": "vehicle"})
        assert made.kind is ResourceKind.VEHICLE
        with pytest.raises(Refused):
            resources.create(s, actor, world["org2"], world["cb"], {"name": "别人的车", "kind": "vehicle"})
        assert [r.name for r in resources.owned(s, actor)] == ["活动车", "财政局三楼会议室"]
        with pytest.raises(Refused) as blank:
            resources.create(s, actor, world["org1"], world["ca"], {"name": "\u200b\u200b", "kind": "room"})
        assert "name" in blank.value.fields
        renamed = resources.update(s, actor, made.id, {"name": "\u200b活动车２号\u200b"})
        assert renamed.name == "活动车２号"


def test_hours_text():
    assert parse_hours("周一至周三 09:00-12:00\n周日 14:00-24:00") == [
        (0, 540, 720), (1, 540, 720), (2, 540, 720), (6, 840, 1440)]
    assert parse_hours("Mon-Wed 09:00-12:00; sunday 14:00-24:00") == parse_hours("周一至周三 09:00-12:00\n周日 14:00-24:00")
    for wrong in ("周一 12:00-09:00", "星期八 9:00-10:00", "周一 9点"):
        with pytest.raises(Refused):
            parse_hours(wrong)


def test_hours_text_says_days_with_the_same_hours_once():
    weekdays = [ResourceHours(weekday=d, opens=540, closes=1020) for d in range(5)]
    saturday = [ResourceHours(weekday=5, opens=540, closes=720), ResourceHours(weekday=5, opens=840, closes=1020)]
    assert hours_text(weekdays + saturday) == "周一至周五 09:00-17:00；周六 09:00-12:00、14:00-17:00"
    assert hours_text(weekdays + saturday, "en") == "Mon–Fri 09:00-17:00; Sat 09:00-12:00, 14:00-17:00"
    assert hours_text([weekdays[0], weekdays[1], weekdays[3]]) == "周一、周二 09:00-17:00；周四 09:00-17:00"
    # what the page says is what an owner may type back
    assert parse_hours(hours_text(weekdays).replace("；", "\n")) == [(d, 540, 1020) for d in range(5)]


def test_matching_prefers_the_free_near_well_rated_room(factory, world):
    with factory() as s:
        second = Resource(community_id=world["ca"], org_id=world["org1"], kind=ResourceKind.ROOM, name="社区小会议室",
                          capacity=12, lat=47.9, lng=129.3)
        s.add(second)
        s.commit()
        second_id = second.id
    with factory() as s:  # the big room is taken 10–12 on the 3rd
        engine.start(s, world["res_a"], world["tt_resource"], request(local(3, 10), local(3, 12)),
                     resource_id=world["room"], now=local(1, 9))
    with factory() as s:
        busy = matching.suggest(s, kind=ResourceKind.ROOM, starts_at=local(3, 10), ends_at=local(3, 11),
                                near=(47.72, 128.84))
        assert [x.resource.id for x in busy] == [second_id, world["room"]]
        assert busy[0].free is True and busy[1].free is False
        assert [m.code for m in busy[0].reasons] == ["match.kind", "match.free"]
        free = matching.suggest(s, kind=ResourceKind.ROOM, starts_at=local(4, 10), ends_at=local(4, 11),
                                near=(47.72, 128.84))
        assert free[0].resource.id == world["room"]
        assert [m.code for m in free[0].reasons] == ["match.kind", "match.free", "match.near"]
        assert "距离约 0.0 公里" in [m.render() for m in free[0].reasons]
        big = matching.suggest(s, capacity=30)
        assert [x.resource.id for x in big] == [world["room"], world["projector"]]
