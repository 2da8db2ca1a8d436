"""Faults with real processes: a `prefect server start` that is stopped and started again
while actions arrive, and a `yijia worker` killed with SIGKILL in the middle of an award.

The Prefect server runs on SQLite, or on PostgreSQL when `YIJIA_TEST_PREFECT_DATABASE=
postgresql` (as `.ci/run` does in its PostgreSQL pass).
"""
from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

from flows.orchestration import lifecycle
from flows.points import ledger
from schemas.settings import get_settings
from schemas.tables import Outbox, Posting
from tests.flows.orchestration.live import runs as _runs
from tests.flows.orchestration.live import shows as _shows
from tests.flows.orchestration.live import undelivered as _undelivered
from tests.flows.orchestration.live import wait as _wait
from tests.flows.walker import Walker

pytestmark = [pytest.mark.prefect, pytest.mark.slow]


def test_server_stopped_while_actions_arrive_then_restarted(live, factory):
    world, server, start_worker = live
    start_worker()
    first = Walker(factory, world)
    first.start("res_a", "micro_wish", {"title": "停机前的心愿"})
    first.act("cadm_a", "publish")
    _wait(lambda: _shows(first.demand_id, "待认领"))

    server.stop()
    first.act("mem1", "claim")
    first.act("mem1", "serve", {"hours": 1, "note": "停机时完成"})
    second = Walker(factory, world)
    second.start("res_a", "micro_wish", {"title": "停机时发布的心愿"})

    def tried():
        """the relay tried and kept the rows"""
        with factory() as s:
            rows = s.scalars(select(Outbox).where(Outbox.delivered_at.is_(None))).all()
            # the three written while it was down, and the publish's too when the relay had not
            # yet recorded its delivery as the server went (seen on a loaded machine)
            return len(rows) >= 3 and all(r.attempts >= 1 and r.last_error for r in rows)

    _wait(tried, timeout=180)  # the relay backs off up to 30 s while the server is away (more on a busy machine)
    server.start()
    _wait(lambda: _undelivered(factory) == 0, timeout=120)
    assert _shows(first.demand_id, "待评价"), [(r.name, r.state.name) for r in _runs(first.demand_id)]
    assert _shows(second.demand_id, "待审核")  # exactly one run each: nothing doubled


def test_worker_killed_mid_award_credits_once(live, factory, monkeypatch):
    world, server, start_worker = live
    hung = start_worker(failpoint="award-hang")
    walk = Walker(factory, world).rated_wish("奖励途中断电", rating=4)
    _wait(lambda: "failpoint award-hang" in hung.log.read_text(errors="replace"), timeout=120)
    hung.kill()  # SIGKILL to the worker and its flow-run process, posting written but not committed
    assert walk.state() == "rated" and walk.balance("mem1") == 0

    start_worker()
    monkeypatch.setenv("YIJIA_STALE_RUN_SECONDS", "0")  # the run the dead worker held is stale at once
    get_settings.cache_clear()
    lifecycle.reconcile_runs()
    monkeypatch.delenv("YIJIA_STALE_RUN_SECONDS")
    get_settings.cache_clear()
    _wait(lambda: walk.state() == "done", timeout=120)
    assert walk.balance("mem1") == 12  # round((10 + 2 × 1h) × 1), once
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Posting).where(Posting.demand_id == walk.demand_id)) == 1
        assert ledger.check(s) == []
    _wait(lambda: _runs(walk.demand_id) and all(r.state.is_final() for r in _runs(walk.demand_id)), timeout=60)


def test_a_worker_killed_in_the_middle_of_sends_delivers_once_after_restart(live, factory, tmp_path):
    """The courier runs in the worker. Killed after the SMS provider and the mail server accepted
    a message and before it recorded them sent: after the lease, the restarted worker sends again
    with the same key — the SMS provider delivers it once; SMTP, which has no such key, twice
    (the same Message-ID), and never more, as docs/notifications.md says."""
    from sqlalchemy import update

    from flows.notices import choices
    from flows.notices.outbox import post
    from schemas.tables import NoticeStatus, Notification, User
    from tests.standins import Provider, Smtp

    world, _server, start_worker = live
    sms, mail = Provider().start(), Smtp().start()
    try:
        channels = {"YIJIA_SMS_URL": f"{sms.url}/sms", "YIJIA_SMTP_HOST": "127.0.0.1", "YIJIA_SMTP_PORT": str(mail.port),
                    "YIJIA_QUIET_HOURS": "", "YIJIA_NOTICE_LEASE_SECONDS": "4",
                    "YIJIA_NOTICE_TIMEOUT_SECONDS": "1"}
        for name, value in channels.items():
            os.environ[name] = value
        get_settings.cache_clear()
        with factory() as s:
            s.execute(update(User).where(User.id == world["res_a"]).values(phone="13800000001", email="a@example.com"))
            s.commit()
            choices.choose(s, world["res_a"], {"points": ["email", "sms"]}, "a@example.com")
            Walker(factory, world).start("res_a", "micro_wish", {"title": "心愿"})
            from schemas.tables import Event

            event_id = s.scalar(select(func.max(Event.id)))
            post(s, event_id=event_id, demand=None, users=[world["res_a"]], kind="points", title="积分到账 +5",
                 category="points")
            s.commit()
        worker_ = start_worker(failpoint="send-hang", **channels)
        _wait(lambda: len(sms.delivered) == 1 and len(mail.messages) == 1, timeout=120)
        worker_.kill()  # both accepted, neither recorded
        start_worker(**channels)

        def delivered():
            """both rows recorded as sent by the restarted worker"""
            with factory() as s:
                rows = s.scalars(select(Notification).where(Notification.channel != "inbox")).all()
                return len(rows) == 2 and all(r.status == NoticeStatus.SENT for r in rows) and rows

        rows = _wait(delivered, timeout=120)
        assert all(r.attempts == 2 for r in rows)  # the lease ran out, the second courier took it over
        assert len(sms.requests) == 2 and len({r["key"] for r in sms.requests}) == 1
        assert len(sms.delivered) == 1  # exactly once: the provider honoured the key
        assert len(mail.messages) == 2  # SMTP has no such key: twice, counted in attempts
        assert len({m["Message-ID"] for m in mail.messages}) == 1  # at most twice, one Message-ID
    finally:
        for name in channels:
            os.environ.pop(name, None)
        sms.stop()
        mail.stop()
