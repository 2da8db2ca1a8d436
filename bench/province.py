"""A province on one deployment (#21): 12 cities, 120 districts, 600 streets, 2,000 communities,
5,000 organisations, 300,000 members, 2,000,000 demands and 20,000,000 ledger entries, loaded
on PostgreSQL with COPY; then the pages people use every day, timed as in the scale run: the
hall and a demand page (a member of a busy community), the member's points, the district
dashboard with its stuck list (a district admin) and the city's dashboard.

`BENCH_PROVINCE_SCALE` shrinks every count (0.01 loads in a minute, for trying it); the
figures are printed with the counts they were measured at.
"""
from __future__ import annotations

import os
import random
import secrets
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text
from werkzeug.security import generate_password_hash

from bench.common import discard, emit, fresh_databases
from bench.scale import _client, _copy, _size, _time
from flows.core.db import make_engine, make_sessionmaker
from schemas.tables import Demand, User, WorkflowVersion
from tests.world import build_world

SCALE = float(os.environ.get("BENCH_PROVINCE_SCALE", "1"))
CITIES, DISTRICTS_PER_CITY, STREETS_PER_DISTRICT = 12, 10, 5
COMMUNITIES = max(20, int(2_000 * SCALE))
ORGS = max(10, int(5_000 * SCALE))
MEMBERS = max(100, int(300_000 * SCALE))
DEMANDS = max(1_000, int(2_000_000 * SCALE))
POSTINGS = max(1_000, int(10_000_000 * SCALE))  # two entries each
# mostly finished, as years of a programme are; a few thousand open per busy community
STATES = ["done"] * 17 + ["cancelled", "open", "review"]


def _regions(conn, first_id: int) -> tuple[list[int], list[int], dict[int, int]]:
    """Cities, districts, streets and communities; (districts, communities, community → district)."""
    rows, districts, communities, district_of = [], [], [], {}
    next_id = first_id
    streets: list[tuple[int, str, int]] = []
    for c in range(CITIES):
        city, city_path = next_id, f"/{next_id}/"
        rows.append((city, None, "city", f"P{city}", f"第{c + 1}市", city_path))
        next_id += 1
        for d in range(DISTRICTS_PER_CITY):
            district, district_path = next_id, f"{city_path}{next_id}/"
            rows.append((district, city, "district", f"P{district}", f"第{c + 1}市第{d + 1}区", district_path))
            districts.append(district)
            next_id += 1
            for _ in range(STREETS_PER_DISTRICT):
                rows.append((next_id, district, "street", f"P{next_id}", f"街道{next_id}", f"{district_path}{next_id}/"))
                streets.append((next_id, f"{district_path}{next_id}/", district))
                next_id += 1
    for i in range(COMMUNITIES):
        street, street_path, district = streets[i % len(streets)]
        rows.append((next_id, street, "community", f"P{next_id}", f"社区{next_id}", f"{street_path}{next_id}/"))
        communities.append(next_id)
        district_of[next_id] = district
        next_id += 1
    _copy(conn, "regions", ["id", "parent_id", "level", "code", "name", "path"], rows)
    return districts, communities, district_of


def _load(engine, world, version) -> dict:
    """Everything, in one transaction per table family; returns the people and places to time."""
    rng = random.Random(7)
    now = datetime.now(UTC)
    base = 10_000_000  # ids clear of the test world's
    with engine.begin() as conn:
        districts, communities, district_of = _regions(conn, base)
        orgs = [(base + i, f"单位党组织{i}", f"单位{i}", districts[i % len(districts)]) for i in range(ORGS)]
        _copy(conn, "organisations", ["id", "name", "work_unit", "district_id"], orgs)
        members = list(range(base, base + MEMBERS))
        home = {u: communities[i % len(communities)] for i, u in enumerate(members)}
        _copy(conn, "users", ["id", "username", "password_hash", "display_name", "locale", "is_active"],
              ((u, f"m{u}", "x", "党员", "zh", True) for u in members))
        _copy(conn, "members", ["user_id", "org_id"], ((u, orgs[i % len(orgs)][0]) for i, u in enumerate(members)))
        _copy(conn, "role_grants", ["user_id", "role", "region_id"], ((u, "member", home[u]) for u in members))
        _copy(conn, "member_registrations", ["member_id", "community_id", "status"],
              ((u, home[u], "approved") for u in members))
        _copy(conn, "org_registrations", ["org_id", "community_id", "status"],
              ((o[0], communities[i % len(communities)], "approved") for i, o in enumerate(orgs)))
        _copy(conn, "accounts", ["id", "code", "kind", "user_id", "balance", "allow_negative"],
              ((u, f"user:{u}", "user", u, 0, False) for u in members))
        issuance = conn.execute(text("SELECT id FROM accounts WHERE code = 'issuance'")).scalar()
        if issuance is None:
            issuance = base - 1
            conn.execute(text("INSERT INTO accounts (id, code, kind, balance, allow_negative) "
                              "VALUES (:i, 'issuance', 'issuance', 0, true)"), {"i": issuance})
        # demands: a few busy communities hold most of the open work, as cities do
        busy = communities[:10]
        json_empty = "{}"
        _copy(conn, "demands", ["id", "task_type_id", "workflow_id", "workflow_version", "workflow_hash", "state",
                                "state_since", "rev", "title", "community_id", "requester_id", "capacity", "taken",
                                "required_skills", "data", "created_at"],
              ((base + i, world["tt_micro_wish"], "micro_wish", version.version, version.content_hash,
                STATES[i % len(STATES)], now - timedelta(minutes=i % 700_000), 1, f"心愿 {i}",
                # every fourth cycle of states goes to a busy community, whole (all its states), and
                # the busy communities take such cycles in turn: each holds open work
                busy[(i // (4 * len(STATES))) % len(busy)] if (i // len(STATES)) % 4 == 0
                else communities[rng.randrange(len(communities))],
                members[i % len(members)], 1, 0, "[]", json_empty, now - timedelta(minutes=i % 700_000))
               for i in range(DEMANDS)))
        _copy(conn, "events", ["id", "demand_id", "subject", "subject_id", "step", "from_state", "to_state", "actor_id",
                               "data", "at"],
              ((base + i, base + i, "demand", base + i, "post", None, "review", members[i % len(members)], json_empty,
                now) for i in range(DEMANDS)))
        _copy(conn, "postings", ["id", "key", "fingerprint", "kind", "amount", "memo", "demand_id", "data", "created_at"],
              ((base + p, f"province:award:{p}", "x" * 64, "award", 10, "志愿服务", base + p % DEMANDS, json_empty,
                now - timedelta(seconds=p)) for p in range(POSTINGS)))
        _copy(conn, "entries", ["id", "posting_id", "account_id", "amount", "created_at"],
              ((2 * (base + p) + side, base + p, issuance if side == 0 else members[p % len(members)],
                -10 if side == 0 else 10, now - timedelta(seconds=p)) for p in range(POSTINGS) for side in (0, 1)))
        from sqlalchemy.orm import Session

        from flows.engine import figures as tallies

        with Session(bind=conn) as session:
            tallies.rebuild(session)
            session.flush()
        conn.execute(text("UPDATE accounts SET balance = b.total FROM (SELECT account_id, SUM(amount) AS total "
                          "FROM entries GROUP BY account_id) b WHERE b.account_id = accounts.id"))
        for table in ("regions", "organisations", "users", "accounts", "demands", "events", "postings", "entries"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"))
        # the people whose pages are timed
        district = district_of[busy[0]]
        conn.execute(text("INSERT INTO users (id, username, password_hash, display_name, locale, is_active) "
                          "VALUES (:i, 'district_admin', 'x', '区管理员', 'zh', true)"), {"i": base - 2})
        conn.execute(text("INSERT INTO role_grants (user_id, role, region_id) VALUES (:i, 'district_admin', :d)"),
                     {"i": base - 2, "d": district})
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    return {"member": members[0], "community": busy[0], "district_admin": base - 2}


def run() -> None:
    from admin.app import create_app

    for name, url in fresh_databases(("postgresql",)):
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        world = build_world(factory)
        with factory() as s:
            version = s.scalar(select(WorkflowVersion).where(WorkflowVersion.workflow_id == "micro_wish"))
        started = time.perf_counter()
        who = _load(engine, world, version)
        load_seconds = time.perf_counter() - started
        password = generate_password_hash("bench-pass")
        with factory() as s, s.begin():
            for user_id in (who["member"], who["district_admin"], world["cityadm"]):
                s.get(User, user_id).password_hash = password
            open_one = s.scalar(select(Demand.id).where(Demand.state == "open", Demand.community_id == who["community"])
                                .order_by(Demand.id.desc()).limit(1))
            counts = {t: s.scalar(text(f"SELECT COUNT(*) FROM {t}")) for t in (
                "regions", "organisations", "users", "demands", "entries")}
            open_busy = s.scalar(text("SELECT COUNT(*) FROM demands WHERE community_id = :c AND state = 'open'"),
                                 {"c": who["community"]})
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(48)})
        member = _client(app, f"m{who['member']}")
        district, city = _client(app, "district_admin"), _client(app, "cityadm")
        pages = {"hall": _time(member, "/hall"), "demand": _time(member, f"/d/{open_one}"),
                 "points": _time(member, "/points"), "district_dashboard": _time(district, "/admin/", 5),
                 "stuck_list_page_2": _time(district, "/admin/?stuck_page=2", 5),
                 "city_dashboard": _time(city, "/admin/", 5)}
        for page, figures in pages.items():
            emit("province", name, page=page, open_in_community=open_busy, **counts, **figures)
        emit("province-data", name, **counts, load_seconds=round(load_seconds, 1), db_gib=round(_size(engine, url) / 2 ** 30, 2))
        app.extensions["yijia.engine"].dispose()
        engine.dispose()
        discard(url)


if __name__ == "__main__":
    run()
