"""Delivery on the channels people chose (#17): once per event, recipient and channel, through
a real SMTP server and a stand-in SMS/WeChat provider; retries with back-off, giving up, quiet
hours, two couriers racing, and the programme's mandatory categories."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from flows import engine
from flows.core.refusals import Refused
from flows.notices import choices, courier
from flows.notices.outbox import post
from schemas.tables import Event, NoticeStatus, Notification, User
from tests.flows.walker import Walker
from tests.world import NOW


def _contact(factory, name_id, **values):
    with factory() as s:
        s.execute(update(User).where(User.id == name_id).values(**values))
        s.commit()


def _sent(factory, **where):
    with factory() as s:
        query = select(Notification).where(Notification.channel != "inbox").order_by(Notification.id)
        for name, value in where.items():
            query = query.where(getattr(Notification, name) == value)
        return list(s.scalars(query))


def _event(factory) -> int:
    with factory() as s:
        return s.scalars(select(Event.id).order_by(Event.id.desc())).first()


def test_a_wish_reaches_the_resident_on_each_channel_they_chose_once(factory, world, channels):
    smtp, provider = channels
    _contact(factory, world["res_a"], email="res@example.com", phone="13800000001", wechat_openid="o-res-a")
    with factory() as s:
        choices.choose(s, world["res_a"], {"service": ["email", "sms", "wechat"]}, "res@example.com")
    walk = Walker(factory, world).rated_wish("换灯泡", 5)
    queued = _sent(factory, demand_id=walk.demand_id)
    assert sorted({n.channel for n in queued}) == ["email", "sms", "wechat"] and len(queued) == 12
    assert all(n.status == NoticeStatus.QUEUED and n.user_id == world["res_a"] for n in queued)
    done = courier.deliver_due(factory)
    assert (done.sent, done.failed, done.gave_up) == (12, 0, 0)
    assert courier.deliver_due(factory).taken == []  # nothing twice
    subjects = sorted(m["Subject"] for m in smtp.messages)  # sent side by side: any order
    assert subjects == sorted(["您的心愿已发布：换灯泡", "您的心愿已被认领：换灯泡", "您的心愿已完成服务：换灯泡",
                               "您的心愿已完成：换灯泡"])
    assert all(m["To"] == "res@example.com" for m in smtp.messages)
    sms = [r for r in provider.requests if r["path"] == "/sms"]
    assert [r["body"]["to"] for r in sms] == ["13800000001"] * 4 and all(r["auth"] == "Bearer k-test" for r in sms)
    assert len({r["key"] for r in sms}) == 4
    pushes = [r for r in provider.requests if r["path"] == "/cgi-bin/message/subscribe/send"]
    assert [r["body"]["touser"] for r in pushes] == ["o-res-a"] * 4
    assert all(r["query"]["access_token"] == ["standin-token"] for r in pushes)
    assert all(n.status == NoticeStatus.SENT and n.provider_ref and n.attempts == 1 for n in _sent(factory))
    # the claimant chose nothing: the inbox only
    assert _sent(factory, user_id=world["mem1"]) == []


def test_a_person_reads_e_mail_in_their_own_language(factory, world, channels):
    smtp, _ = channels
    _contact(factory, world["res_a"], email="res@example.com", locale="en")
    with factory() as s:
        choices.choose(s, world["res_a"], {"service": ["email"]}, "res@example.com")
    Walker(factory, world).rated_wish("换灯泡", 5)
    courier.deliver_due(factory)
    assert "Your wish is published: 换灯泡" in [m["Subject"] for m in smtp.messages]


def test_quiet_hours_defer_sms_to_eight_in_the_morning_and_mail_goes_at_once(factory, world, channels, monkeypatch):
    smtp, provider = channels
    monkeypatch.setenv("YIJIA_QUIET_HOURS", "22:00-08:00")
    from schemas.settings import get_settings

    get_settings.cache_clear()
    _contact(factory, world["res_a"], email="res@example.com", phone="13800000001")
    with factory() as s:
        choices.choose(s, world["res_a"], {"points": ["email", "sms"]}, "res@example.com")
    night = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)  # 23:30 in Beijing
    Walker(factory, world).start("res_a", "micro_wish", {"title": "夜里的心愿"}, now=night)
    with factory() as s:
        post(s, event_id=_event(factory), demand=None, users=[world["res_a"]], kind="points", title="积分到账",
             body="+10", now=night, category="points")
        s.commit()
    (mail,) = _sent(factory, channel="email")
    (sms,) = _sent(factory, channel="sms")
    assert mail.due_at is None and sms.due_at == datetime(2026, 11, 26, 0, 0, tzinfo=UTC)  # 08:00 Beijing
    assert courier.deliver_due(factory, now=night + timedelta(minutes=5)).sent == 1
    assert len(smtp.messages) == 1 and provider.requests == []
    assert courier.deliver_due(factory, now=datetime(2026, 11, 25, 23, 59, tzinfo=UTC)).taken == []  # 07:59
    assert courier.deliver_due(factory, now=datetime(2026, 11, 26, 0, 1, tzinfo=UTC)).sent == 1
    assert [r["body"]["to"] for r in provider.requests] == ["13800000001"]
    (sms,) = _sent(factory, channel="sms")
    assert sms.status == NoticeStatus.SENT and sms.attempts == 1


def _one_sms(factory, world, provider):
    _contact(factory, world["res_a"], phone="13800000001")
    with factory() as s:
        choices.choose(s, world["res_a"], {"points": ["sms"]}, None)
        Walker(factory, world).start("res_a", "micro_wish", {"title": "心愿"}, now=NOW)
        post(s, event_id=_event(factory), demand=None, users=[world["res_a"]], kind="points", title="积分到账",
             category="points", now=NOW)
        s.commit()
    return _sent(factory)[0].id


def test_a_provider_failing_three_times_then_succeeding_delivers_once(factory, world, channels):
    _, provider = channels
    notice_id = _one_sms(factory, world, provider)
    provider.script.extend([500, 429, 503])
    when = NOW
    for expected in (NoticeStatus.FAILED, NoticeStatus.FAILED, NoticeStatus.FAILED):
        assert courier.deliver_due(factory, now=when).failed == 1
        (row,) = _sent(factory, id=notice_id)
        assert row.status == expected and row.due_at > when  # backed off
        assert courier.deliver_due(factory, now=when).taken == []  # not before its time
        when = row.due_at
    assert courier.deliver_due(factory, now=when).sent == 1
    (row,) = _sent(factory, id=notice_id)
    assert row.status == NoticeStatus.SENT and row.attempts == 4 and row.last_error is None
    assert len(provider.requests) == 4 and len({r["key"] for r in provider.requests}) == 1
    assert len(provider.delivered) == 1  # delivered once


def test_backoff_grows_and_the_courier_gives_up_after_the_last_attempt(factory, world, channels, monkeypatch):
    _, provider = channels
    monkeypatch.setenv("YIJIA_NOTICE_MAX_ATTEMPTS", "3")
    from schemas.settings import get_settings

    get_settings.cache_clear()
    notice_id = _one_sms(factory, world, provider)
    provider.script.extend([500] * 5)
    when, waits = NOW, []
    for _ in range(3):
        courier.deliver_due(factory, now=when)
        (row,) = _sent(factory, id=notice_id)
        if row.due_at:
            waits.append((row.due_at - when).total_seconds())
            when = row.due_at
    assert waits == [courier.backoff(1), courier.backoff(2)] == [30.0, 60.0]
    assert row.status == NoticeStatus.GAVE_UP and row.attempts == 3 and "500" in row.last_error
    assert courier.deliver_due(factory, now=when + timedelta(days=1)).taken == []


def test_a_refused_address_gives_up_at_once(factory, world, channels):
    _, provider = channels
    notice_id = _one_sms(factory, world, provider)
    provider.script.append(400)
    assert courier.deliver_due(factory, now=NOW).gave_up == 1
    (row,) = _sent(factory, id=notice_id)
    assert row.status == NoticeStatus.GAVE_UP and row.attempts == 1 and row.last_error.startswith("400")


def test_two_couriers_racing_send_each_message_once(factory, world, channels):
    _, provider = channels
    ids = [world[u] for u in ("res_a", "res_a2", "mem1", "mem2", "resmem")]
    with factory() as s:
        for i, user_id in enumerate(ids):
            s.execute(update(User).where(User.id == user_id).values(phone=f"1380000000{i}"))
        s.commit()
        for user_id in ids:
            choices.choose(s, user_id, {"points": ["sms"]}, None)
    Walker(factory, world).start("res_a", "micro_wish", {"title": "心愿"}, now=NOW)
    with factory() as s:
        for n in range(8):  # 8 events × 5 people
            Walker(factory, world).start("res_a", "micro_wish", {"title": f"心愿{n}"}, now=NOW)
            post(s, event_id=_event(factory), demand=None, users=ids, kind="points", title=f"积分{n}",
                 category="points", now=NOW)
            s.commit()
    barrier = threading.Barrier(2)
    results = []

    def run():
        barrier.wait()
        results.append(courier.deliver_due(factory, now=NOW, limit=100))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.sent for r in results) == 40 and not set(results[0].taken) & set(results[1].taken)
    assert len(provider.requests) == 40 and len(provider.delivered) == 40


def test_an_overdue_case_reaches_the_admin_by_sms_though_they_chose_nothing(factory, world, channels):
    _, provider = channels
    _contact(factory, world["cadm_a"], phone="13900000001")
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "等审核"}, now=NOW - timedelta(days=10))
    with factory() as s:
        assert engine.apply_timeout(s, walk.demand_id, "publish", now=NOW) == "escalate"
    rows = _sent(factory, demand_id=walk.demand_id)
    assert [(n.user_id, n.channel) for n in rows] == [(world["cadm_a"], "sms")]  # the district admin has no phone
    courier.deliver_due(factory)
    assert [r["body"]["to"] for r in provider.requests] == ["13900000001"]
    assert "审核发布" in provider.requests[0]["body"]["text"]
    with factory() as s:  # and it stays on: choosing nothing keeps the mandatory channel
        choices.choose(s, world["cadm_a"], {}, None)
        assert choices.chosen(s, world["cadm_a"])["escalation"] == ["sms"]


def test_choices_are_checked(factory, world, channels):
    with factory() as s:
        for picks, email, field in [({"service": ["email"]}, None, "email"), ({"service": ["fax"]}, None, "channels"),
                                    ({"gossip": ["sms"]}, None, "channels"), ({}, "not-an-address", "email"),
                                    ({"service": ["sms"]}, None, "channels")]:
            with pytest.raises(Refused) as refused:
                choices.choose(s, world["res_a"], picks, email)
            assert field in refused.value.fields, (picks, email)
        assert s.get(User, world["res_a"]).email is None  # nothing half-saved


def test_without_channels_configured_only_the_inbox_is_written(factory, world):
    _contact(factory, world["res_a"], email="res@example.com", phone="13800000001")
    Walker(factory, world).rated_wish("换灯泡", 5)
    assert _sent(factory) == []
    assert courier.deliver_due(factory, providers={}).taken == []


def test_the_providers_429_wait_a_time_out_and_wechats_error_codes(factory, world, channels, monkeypatch):
    _, provider = channels
    monkeypatch.setenv("YIJIA_NOTICE_TIMEOUT_SECONDS", "0.5")
    from schemas.settings import get_settings

    get_settings.cache_clear()
    notice_id = _one_sms(factory, world, provider)
    provider.retry_after = "900"  # longer than the back-off: the provider's wait wins
    provider.script.extend([429, "slow:2"])
    courier.deliver_due(factory, now=NOW)
    (row,) = _sent(factory, id=notice_id)
    assert row.status == NoticeStatus.FAILED and (row.due_at - NOW).total_seconds() == 900
    courier.deliver_due(factory, now=row.due_at)  # the provider stalls past the time-out: retried
    (row,) = _sent(factory, id=notice_id)
    assert row.status == NoticeStatus.FAILED and "Timeout" in row.last_error and row.attempts == 2

    # WeChat: an expired token is fetched again and the send goes; a person who did not
    # subscribe (43101) is given up at once
    _contact(factory, world["res_a2"], wechat_openid="o-a2")
    _contact(factory, world["resmem"], wechat_openid="o-rm")
    with factory() as s:
        choices.choose(s, world["res_a2"], {"points": ["wechat"]}, None)
        choices.choose(s, world["resmem"], {"points": ["wechat"]}, None)
        post(s, event_id=_event(factory), demand=None, users=[world["res_a2"]], kind="points", title="积分到账",
             category="points", now=NOW)
        s.commit()
    provider.script.clear()
    provider.script.extend(["wx:42001", "ok"])
    assert courier.deliver_due(factory, now=NOW, limit=1).sent == 1
    with factory() as s:
        post(s, event_id=_event(factory), demand=None, users=[world["resmem"]], kind="points", title="积分到账",
             category="points", now=NOW)
        s.commit()
    provider.script.append("wx:43101")
    assert courier.deliver_due(factory, now=NOW).gave_up == 1
    (refused,) = _sent(factory, user_id=world["resmem"])
    assert refused.status == NoticeStatus.GAVE_UP and refused.last_error == "errcode 43101"
