"""Contention: N clients grab one slot at the same instant through the engine.

Must give exactly one winner and zero errors; reports the time to settle and per-request
latency. (The same scenario over HTTP lands with the web app, in bench/web.py.)
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from sqlalchemy import insert, select

from bench.common import emit, fresh_databases, summary_ms
from flows import engine
from flows.core.db import make_engine, make_sessionmaker
from flows.core.refusals import Refused
from flows.engine.outcomes import Outcome
from schemas.tables import Member, MemberRegistration, RegistrationStatus, Role, RoleGrant, User
from tests.world import NOW, build_world

CLIENTS = 200
ROUNDS = 5


def run() -> None:
    for name, url in fresh_databases():
        # A bounded pool, as deployed: PostgreSQL allows 100 connections; clients queue for one.
        factory = make_sessionmaker(make_engine(url, pool_size=40, max_overflow=20, pool_timeout=120))
        world = build_world(factory)
        with factory() as s, s.begin():
            s.execute(insert(User), [{"username": f"g{i}", "display_name": "党员", "password_hash": "x", "locale": "zh",
                                      "is_active": True, "created_at": NOW} for i in range(CLIENTS)])
            ids = s.scalars(select(User.id).where(User.username.like("g%")).order_by(User.id)).all()
            s.execute(insert(RoleGrant), [{"user_id": u, "role": Role.MEMBER, "region_id": world["ca"]} for u in ids])
            s.execute(insert(Member), [{"user_id": u, "org_id": world["org1"]} for u in ids])
            s.execute(insert(MemberRegistration), [{"member_id": u, "community_id": world["ca"], "created_at": NOW,
                                                    "status": RegistrationStatus.APPROVED} for u in ids])
        for round_ in range(ROUNDS):
            with factory() as s:
                demand = engine.start(s, world["res_a"], world["tt_micro_wish"], {"title": f"抢单 {round_}"},
                                      community_id=world["ca"], now=NOW).demand_id
            with factory() as s:
                engine.act(s, world["cadm_a"], demand, "publish", now=NOW)
            barrier = Barrier(CLIENTS)
            latencies: list[float] = []

            def grab(user_id: int):
                barrier.wait()
                began = time.perf_counter()
                with factory() as s:
                    try:
                        result = engine.act(s, user_id, demand, "claim", {}, now=NOW)
                    except Refused as exc:
                        result = exc
                    except Exception as exc:
                        result = exc
                latencies.append(time.perf_counter() - began)
                return result

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
                results = list(pool.map(grab, ids))
            elapsed = time.perf_counter() - started
            emit("grab", name, clients=CLIENTS, round=round_ + 1,
                 winners=sum(isinstance(r, Outcome) for r in results),
                 told_taken=sum(isinstance(r, Refused) and r.code == "taken" for r in results),
                 errors=sum(not isinstance(r, (Outcome, Refused)) for r in results),
                 error_kinds=sorted({type(r).__name__ for r in results if not isinstance(r, (Outcome, Refused))}),
                 settle_s=round(elapsed, 3), **summary_ms(latencies))


if __name__ == "__main__":
    run()
