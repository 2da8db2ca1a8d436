"""The inbox (#17): a `notify` effect and an escalation put a message in each recipient's inbox
in the step's own transaction, once per (event, recipient, channel) however often the step is
replayed; only the recipient can open it, and opening marks it read."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from flows import engine
from flows.core.refusals import Refused
from flows.engine import notices
from schemas.tables import Event, Notification
from tests.flows.walker import Walker
from tests.world import NOW, build_world


@pytest.fixture
def world(factory):
    return build_world(factory)


def _rows(factory, **where):
    with factory() as s:
        query = select(Notification).order_by(Notification.id)
        for name, value in where.items():
            query = query.where(getattr(Notification, name) == value)
        return list(s.scalars(query))


def test_a_served_wish_tells_its_requester_once_in_the_award_transaction(factory, world):
    walk = Walker(factory, world).rated_wish("换灯泡", 5)
    (award,) = _rows(factory, demand_id=walk.demand_id)
    assert (award.user_id, award.channel, award.kind, award.status.value) == (world["res_a"], "inbox",
                                                                               "award:notify", "sent")
    assert award.title == "您的心愿已完成，感谢参与评价" and award.body == "换灯泡" and award.read_at is None
    with factory() as s:  # the notice names the event that caused it, which the award's transaction wrote
        event = s.get(Event, award.event_id)
        assert event.step == "award:notify" and event.demand_id == walk.demand_id
    with factory() as s:  # replaying the step (a retried task) tells nobody twice
        assert engine.advance(s, walk.demand_id) == []
        notices.post(s, event_id=award.event_id, demand=None, users=[world["res_a"], world["res_a"]],
                     kind="award:notify", title="again")
        s.commit()
    assert [n.title for n in _rows(factory, user_id=world["res_a"])] == ["您的心愿已完成，感谢参与评价"]


def test_a_second_row_for_the_same_event_recipient_and_channel_is_refused_by_the_database(factory, world):
    walk = Walker(factory, world).rated_wish("擦窗户", 4)
    (award,) = _rows(factory, demand_id=walk.demand_id)
    with factory() as s, pytest.raises(Exception, match="(?i)unique"):
        s.execute(insert(Notification).values(event_id=award.event_id, user_id=award.user_id, channel="inbox",
                                              kind="x", title="x", body="", status="sent", attempts=0))
    with factory() as s:  # another channel for the same event and person is its own delivery
        s.execute(insert(Notification).values(event_id=award.event_id, user_id=award.user_id, channel="email",
                                              kind="x", title="x", body="", status="queued", attempts=0))
        s.commit()


def test_an_escalation_tells_the_responsible_admins_of_the_community_and_the_district(factory, world):
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "等审核"}, now=NOW - timedelta(days=10))
    with factory() as s:
        assert engine.apply_timeout(s, walk.demand_id, "publish", now=NOW) == "escalate"
    with factory() as s:  # once per stay: applying the policy again writes nothing
        assert engine.apply_timeout(s, walk.demand_id, "publish", now=NOW + timedelta(hours=1)) is None
    told = _rows(factory, demand_id=walk.demand_id)
    assert sorted(n.user_id for n in told) == sorted([world["cadm_a"], world["dadm1"]])
    assert all(n.kind == "publish:overdue" and "审核发布" in n.title and n.created_at == NOW for n in told)
    assert not _rows(factory, user_id=world["cadm_b"])  # another community's admin hears nothing


def test_only_the_recipient_opens_a_message_and_opening_marks_it_read(factory, world):
    walk = Walker(factory, world).rated_wish("修门锁", 5)
    (award,) = _rows(factory, demand_id=walk.demand_id)
    with factory() as s:
        assert notices.unread_count(s, world["res_a"]) == 1 and notices.unread_count(s, world["res_b"]) == 0
        for someone_else in ("res_b", "mem1", "cadm_a"):
            with pytest.raises(Refused) as refused:
                notices.open_notice(s, world[someone_else], award.id)
            assert refused.value.code == "notice.not_found"
        assert [n.id for n in notices.inbox(s, world["mem1"])] == []
    (still,) = _rows(factory, id=award.id)
    assert still.read_at is None
    with factory() as s:
        opened = notices.open_notice(s, world["res_a"], award.id, now=NOW)
        assert opened.demand_id == walk.demand_id and opened.read_at == NOW
        assert notices.unread_count(s, world["res_a"]) == 0
        again = notices.open_notice(s, world["res_a"], award.id, now=NOW + timedelta(days=1))
        assert again.read_at == NOW  # first opening kept
