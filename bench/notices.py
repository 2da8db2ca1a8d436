"""Notifications (#17): event → inbox and event → e-mail latency, and a 1,000-member grab
announcement written and delivered.

The inbox is written in the transaction of the step that causes it, so "event → inbox" is the
time from the action's start until its commit makes the message readable by its recipient
(measured by reading the unread count from a second session right after). "Event → e-mail" is
the time from the action's start until a real SMTP server (aiosmtpd, in this process) has the
message, delivered by a real courier process (`yijia courier`, the worker's delivery loop).
The announcement is an organisation of 1,000 members, each having chosen e-mail, grabbing an
activity: the grab's one transaction writes the messages (messages per second of it), then the
courier delivers them all (messages per second until the SMTP server has the last one, and the
courier process's CPU per message).
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from bench.common import emit, fresh_databases, summary_ms
from flows import engine
from flows.core.db import make_engine, make_sessionmaker
from flows.notices import choices
from flows.notices import inbox as notices
from schemas.settings import get_settings
from schemas.tables import (
    Member,
    MemberRegistration,
    NoticeChoice,
    Notification,
    RegistrationStatus,
    Role,
    RoleGrant,
    User,
)
from tests.procs import Process
from tests.standins import Smtp
from tests.world import NOW, build_world

ROUNDS = 50
MEMBERS = 1000


def _wait(condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("not delivered in time")
        time.sleep(0.005)


def run() -> None:
    smtp = Smtp().start()
    channels = {"YIJIA_SMTP_HOST": "127.0.0.1", "YIJIA_SMTP_PORT": str(smtp.port), "YIJIA_QUIET_HOURS": ""}
    os.environ.update(channels)
    get_settings.cache_clear()
    try:
        for name, url in fresh_databases():
            _run(name, url, smtp)
    finally:
        smtp.stop()


def _run(name: str, url: str, smtp: Smtp) -> None:
    if True:
        factory = make_sessionmaker(make_engine(url))
        world = build_world(factory)
        latencies = []
        for i in range(ROUNDS):
            with factory() as s:
                demand = engine.start(s, world["res_a"], world["tt_micro_wish"], {"title": f"心愿 {i}"},
                                      community_id=world["ca"], now=NOW).demand_id
            began = time.perf_counter()
            with factory() as s:
                engine.act(s, world["cadm_a"], demand, "publish", now=NOW)  # tells the requester
            with factory() as s:
                assert notices.unread_count(s, world["res_a"]) == i + 1
            latencies.append(time.perf_counter() - began)
        emit("notices.event_to_inbox", name, rounds=ROUNDS, **summary_ms(latencies))

        with factory() as s, s.begin():
            s.execute(insert(User), [{"username": f"n{i}", "display_name": "党员", "password_hash": "x", "locale": "zh",
                                      "is_active": True, "created_at": NOW} for i in range(MEMBERS)])
            ids = s.scalars(select(User.id).where(User.username.like("n%")).order_by(User.id)).all()
            s.execute(insert(RoleGrant), [{"user_id": u, "role": Role.MEMBER, "region_id": world["ca"]} for u in ids])
            s.execute(insert(Member), [{"user_id": u, "org_id": world["org1"]} for u in ids])
            s.execute(insert(MemberRegistration), [{"member_id": u, "community_id": world["ca"], "created_at": NOW,
                                                    "status": RegistrationStatus.APPROVED} for u in ids])
        start = NOW + timedelta(days=2)
        with factory() as s:
            demand = engine.start(s, world["cadm_a"], world["tt_env_cleanup"], {
                "title": "楼道大扫除", "description": "d", "place": "p", "capacity": 50, "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=2)).isoformat()}, community_id=world["ca"], now=NOW).demand_id
        with factory() as s:
            engine.act(s, world["cadm_a"], demand, "publish", now=NOW)
        cpu, wall = time.process_time(), time.perf_counter()
        with factory() as s:
            engine.act(s, world["orgadm1"], demand, "grab", now=NOW)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        with factory() as s:
            told = s.scalar(select(func.count()).select_from(Notification).where(
                Notification.demand_id == demand, Notification.kind == "grab:notify")) or 0
        emit("notices.announcement", name, members=told, seconds=round(wall, 3),
             messages_per_s=round(told / wall, 1) if wall else None,
             cpu_ms_per_message=round(cpu * 1000 / told, 3) if told else None)

        # --- e-mail, delivered by a courier process -----------------------------------------
        log = Path(tempfile.mkdtemp(prefix="yijia-bench-courier-")) / "courier.log"
        courier = Process([sys.executable, "-m", "admin.cli", "courier"],
                          {**os.environ, "YIJIA_DATABASE_URL": url}, log).start()
        try:
            with factory() as s:
                s.execute(User.__table__.update().where(User.id == world["res_a"]).values(email="res@example.com"))
                s.commit()
                choices.choose(s, world["res_a"], {"service": ["email"]}, "res@example.com")
            time.sleep(2)  # the courier is up
            mail = []
            for i in range(ROUNDS):
                with factory() as s:
                    demand = engine.start(s, world["res_a"], world["tt_micro_wish"], {"title": f"邮件心愿 {i}"},
                                          community_id=world["ca"], now=NOW).demand_id
                seen = len(smtp.messages)
                began = time.time()
                with factory() as s:
                    engine.act(s, world["cadm_a"], demand, "publish", now=NOW)
                _wait(lambda seen=seen: len(smtp.messages) > seen)
                mail.append(smtp.handler.arrived[seen] - began)
            emit("notices.event_to_email", name, rounds=ROUNDS, **summary_ms(mail))

            with factory() as s, s.begin():
                s.execute(User.__table__.update().where(User.username.like("n%"))
                          .values(email=User.username + "@example.com"))
                s.execute(insert(NoticeChoice), [{"user_id": u, "category": "service", "channels": ["email"]}
                                                 for u in ids])
            start = NOW + timedelta(days=3)
            with factory() as s:
                demand = engine.start(s, world["cadm_a"], world["tt_env_cleanup"], {
                    "title": "清理小广告", "description": "d", "place": "p", "capacity": 50,
                    "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()},
                    community_id=world["ca"], now=NOW).demand_id
            with factory() as s:
                engine.act(s, world["cadm_a"], demand, "publish", now=NOW)
            seen, cpu_before = len(smtp.messages), courier.cpu
            began = time.time()
            with factory() as s:
                engine.act(s, world["orgadm1"], demand, "grab", now=NOW)
            _wait(lambda: len(smtp.messages) >= seen + MEMBERS, timeout=300)
            wall = smtp.handler.arrived[-1] - began
            delivered = len(smtp.messages) - seen
            emit("notices.announcement_email", name, messages=delivered, seconds=round(wall, 2),
                 messages_per_s=round(delivered / wall, 1),
                 courier_cpu_ms_per_message=round((courier.cpu - cpu_before) * 1000 / delivered, 3))
        finally:
            courier.stop()


if __name__ == "__main__":
    run()
