"""Notifications (#17): event → inbox latency, and a 1,000-member grab announcement.

The inbox is written in the transaction of the step that causes it, so "event → inbox" is the
time from the action's start until its commit makes the message readable by its recipient
(measured by reading the unread count from a second session right after). The announcement is
an organisation of 1,000 members grabbing an activity: the grab's one transaction writes a
message per member; reported as messages per second of that transaction and of the process's
CPU. E-mail and SMS delivery are not built yet (see docs/notifications.md), so no SMTP figure.
"""
from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, insert, select

from bench.common import emit, fresh_databases, summary_ms
from flows import engine
from flows.core.db import make_engine, make_sessionmaker
from flows.notices import inbox as notices
from schemas.tables import Member, MemberRegistration, Notification, RegistrationStatus, Role, RoleGrant, User
from tests.world import NOW, build_world

ROUNDS = 50
MEMBERS = 1000


def run() -> None:
    for name, url in fresh_databases():
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


if __name__ == "__main__":
    run()
