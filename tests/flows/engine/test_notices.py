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
from flows.notices import inbox
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


def test_a_wish_tells_its_requester_each_standard_event_once_in_the_steps_transaction(factory, world):
    walk = Walker(factory, world).rated_wish("换灯泡", 5)
    (credited,) = _rows(factory, demand_id=walk.demand_id, kind="points_credited")  # the member who served
    assert credited.title == "积分到账 +14" and credited.body == "换灯泡；当前积分 14。"
    told = _rows(factory, demand_id=walk.demand_id, user_id=world["res_a"])
    assert [(n.kind, n.title) for n in told] == [
        ("publish:notify", "您的心愿已发布：换灯泡"), ("claim:notify", "您的心愿已被认领：换灯泡"),
        ("serve:notify", "您的心愿已完成服务：换灯泡"), ("award:notify", "您的心愿已完成：换灯泡")]
    assert {(n.user_id, n.channel, n.status.value) for n in told} == {(world["res_a"], "inbox", "sent")}
    assert all(n.read_at is None and n.body for n in told)
    with factory() as s:  # a human step's notice belongs to the step's own event; the award's to its notify event
        steps = [s.get(Event, n.event_id).step for n in told]
        assert steps == ["publish", "claim", "serve", "award:notify"]
    award = told[-1]
    with factory() as s:  # replaying the step (a retried task) tells nobody twice
        assert engine.advance(s, walk.demand_id) == []
        notices.post(s, event_id=award.event_id, demand=None, users=[world["res_a"], world["res_a"]],
                     kind="award:notify", title="again")
        s.commit()
    assert [n.title for n in _rows(factory, user_id=world["res_a"])][-1] == "您的心愿已完成：换灯泡"
    assert len(_rows(factory, user_id=world["res_a"])) == 4


def test_an_activity_grabbed_tells_the_organisations_members(factory, world):
    start = NOW + timedelta(days=2)
    walk = Walker(factory, world).recruiting_activity("清扫楼道", 5, start)
    told = _rows(factory, demand_id=walk.demand_id, kind="grab:notify")
    members = {world[u] for u in ("mem1", "mem2", "mem_pending", "resmem")}
    assert {n.user_id for n in told} == members and len(told) == len(members)
    assert world["mem3"] not in {n.user_id for n in told}  # another organisation's member
    assert all(n.title == "本组织抢到了活动：清扫楼道" and "旭日社区" in n.body for n in told)


def test_a_cancelled_activity_tells_who_signed_up_and_the_organisation_that_grabbed_it_once_each(factory, world):
    walk = Walker(factory, world).recruiting_activity("义诊", 5, NOW + timedelta(days=2))  # mem1 signed up
    walk.act("cadm_a", "cancel")
    told = _rows(factory, demand_id=walk.demand_id, kind="cancel:notify")
    invited = {n.user_id for n in _rows(factory, demand_id=walk.demand_id, kind="grab:notify")}  # 欢迎报名参加
    assert sorted(n.user_id for n in told) == sorted(invited | {world["mem1"], world["orgadm1"]})  # once each
    assert all(n.title == "活动已取消：义诊" for n in told)
    assert world["orgadm2"] not in {n.user_id for n in told}  # another organisation's admin


def test_a_second_row_for_the_same_event_recipient_and_channel_is_refused_by_the_database(factory, world):
    walk = Walker(factory, world).rated_wish("擦窗户", 4)
    award = _rows(factory, demand_id=walk.demand_id, user_id=world["res_a"])[-1]
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
    told = _rows(factory, demand_id=walk.demand_id, kind="publish:overdue")
    assert sorted(n.user_id for n in told) == sorted([world["cadm_a"], world["dadm1"]])
    assert all(n.kind == "publish:overdue" and "审核发布" in n.title and n.created_at == NOW for n in told)
    assert not _rows(factory, user_id=world["cadm_b"])  # another community's admin hears nothing


def test_only_the_recipient_opens_a_message_and_opening_marks_it_read(factory, world):
    walk = Walker(factory, world).rated_wish("修门锁", 5)
    award = _rows(factory, demand_id=walk.demand_id, user_id=world["res_a"])[-1]
    with factory() as s:
        assert inbox.unread_count(s, world["res_a"]) == 4 and inbox.unread_count(s, world["res_b"]) == 0
        for someone_else in ("res_b", "mem1", "cadm_a"):
            with pytest.raises(Refused) as refused:
                inbox.open_notice(s, world[someone_else], award.id)
            assert refused.value.code == "notice.not_found"
        assert award.id not in [n.id for n in inbox.inbox(s, world["mem1"])]  # mem1 has only their points
    (still,) = _rows(factory, id=award.id)
    assert still.read_at is None
    with factory() as s:
        opened = inbox.open_notice(s, world["res_a"], award.id, now=NOW)
        assert opened.demand_id == walk.demand_id and opened.read_at == NOW
        assert inbox.unread_count(s, world["res_a"]) == 3
        again = inbox.open_notice(s, world["res_a"], award.id, now=NOW + timedelta(days=1))
        assert again.read_at == NOW  # first opening kept


def test_erasing_a_requester_removes_their_inbox_and_the_title_quoted_to_others(factory, world):
    from flows.people import erasure

    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "王奶奶家13812341234修水管"}, now=NOW - timedelta(days=10))
    walk.act("cadm_a", "publish", now=NOW - timedelta(days=9))  # tells res_a
    with factory() as s:  # the claim waits past its SLA: the admins are told, quoting the title
        assert engine.apply_timeout(s, walk.demand_id, "claim", now=NOW) == "escalate"
    assert {n.user_id for n in _rows(factory, demand_id=walk.demand_id)} == {world["res_a"], world["cadm_a"]}
    with factory() as s:
        erasure.erase(s, "res_a")
    assert _rows(factory, user_id=world["res_a"]) == []
    (admin,) = _rows(factory, demand_id=walk.demand_id)
    assert admin.user_id == world["cadm_a"] and "13812341234" not in admin.title + admin.body


def test_a_booking_tells_the_member_sent_then_asks_the_resident_to_rate(factory, world):
    """The booking loop told nobody but on a cancel (the walk): 派单 now tells the member sent,
    完成服务 asks the resident to rate, as a wish's do."""
    from schemas.tables import AppointmentSlot

    walk = Walker(factory, world)
    walk.start("res_a", "appointment", {"title": "义务理发预约"}, slot=world["slot"])
    walk.act("cadm_a", "assign", {"assignee": world["mem1"]})
    (sent,) = _rows(factory, demand_id=walk.demand_id, kind="assign:notify")
    assert sent.user_id == world["mem1"] and sent.title == "派给您的预约服务：义务理发预约" and "完成服务" in sent.body
    with factory() as s:
        begun = s.get_one(AppointmentSlot, world["slot"]).starts_at + timedelta(minutes=30)
    walk.act("mem1", "serve", {"hours": 1}, now=begun)
    (asked,) = _rows(factory, demand_id=walk.demand_id, kind="serve:notify")
    assert (asked.user_id, asked.title, asked.body) == (world["res_a"], "预约服务已完成：义务理发预约", "请为这次服务评价。")


def test_an_adjustment_tells_the_person_its_reason_and_their_balance(factory, world):
    """An award tells who is credited; an admin's adjustment told nobody (the walk)."""
    from flows.points import shop

    with factory() as s:
        shop.adjust(s, world["cadm_a"], world["mem2"], 10, "冬季清雪额外奖励", request_key="k1")
        shop.adjust(s, world["cadm_a"], world["mem2"], 10, "冬季清雪额外奖励", request_key="k1")  # sent again
        shop.adjust(s, world["cadm_a"], world["mem2"], -3, "重复登记，扣回", request_key="k2")
    told = _rows(factory, user_id=world["mem2"], kind="points_adjusted")
    assert [(n.title, n.body) for n in told] == [
        ("社区调整了您的积分 +10", "原因：冬季清雪额外奖励；当前积分 10。"),
        ("社区调整了您的积分 -3", "原因：重复登记，扣回；当前积分 7。")]
