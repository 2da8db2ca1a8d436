"""Migrations that still run in a year: their data steps are SQL written into the revision,
checked here on the tables as they were at that revision (rows inserted by hand, not through
today's models), on both engines."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select, text
from sqlalchemy.exc import IntegrityError

from flows.core import migrate
from flows.core.db import make_engine
from schemas.settings import ROOT

VERSIONS = ROOT / "migrations" / "versions"


def test_no_revision_imports_the_application():
    """A revision that imports today's models or domain breaks when they change."""
    for path in sorted(VERSIONS.glob("*.py")):
        source = Path(path).read_text()
        assert not re.search(r"^\s*(from|import)\s+(flows|schemas|admin)\b", source, re.M), path.name


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def _world_at_0001(conn) -> None:
    """Demands, claims and postings as revision 0001 stored them (each table's rows share their
    keys: an executemany takes its columns from the first row)."""
    meta = MetaData()
    meta.reflect(conn)
    t = meta.tables

    def rows(table: str, *values: dict) -> None:
        conn.execute(t[table].insert(), list(values))

    rows("regions", *[{"id": i, "parent_id": p, "level": lvl, "code": f"r{i}", "name": f"r{i}", "path": path}
                      for i, p, lvl, path in [(1, None, "city", "/1/"), (2, 1, "district", "/1/2/"),
                                              (3, 2, "community", "/1/2/3/"), (4, 2, "community", "/1/2/4/")]])
    rows("users", *[{"id": i, "username": f"u{i}", "password_hash": "!", "display_name": f"u{i}", "locale": "zh",
                     "is_active": True, "failed_logins": 0, "created_at": _at(1, 0)} for i in (1, 2)])
    rows("workflow_versions", *[{"id": i, "workflow_id": w, "version": 1, "content_hash": "h", "title": w,
                                 "source": "", "created_at": _at(1, 0)}
                                for i, w in enumerate(["micro_wish", "joint_activity", "volunteer_item"], 1)])
    rows("task_types", {"id": 1, "code": "t", "name": "t", "category": "micro_wish", "default_points": 10,
                        "workflow_id": "micro_wish", "is_active": True})

    def demand(i: int, workflow: str, state: str, since: datetime, community: int) -> dict:
        return {"id": i, "task_type_id": 1, "workflow_id": workflow, "workflow_version": 1, "workflow_hash": "h",
                "state": state, "state_since": since, "rev": 1, "title": f"d{i}", "community_id": community,
                "capacity": 5, "taken": 0, "required_skills": [], "data": {}, "created_at": _at(1, 0)}

    rows("demands",
         demand(1, "micro_wish", "done", _at(24, 16, 30), 3),  # 00:30 on the 25th in Beijing
         demand(2, "micro_wish", "done", _at(24, 15, 30), 3),  # 23:30 on the 24th in Beijing
         demand(3, "micro_wish", "open", _at(24, 10), 3),
         demand(4, "joint_activity", "done", _at(25, 2), 4),
         demand(5, "volunteer_item", "open", _at(25, 2), 3))
    rows("claims",
         *[{"id": i, "demand_id": d, "step": "claim", "user_id": u, "org_id": None, "created_by": 1,
            "status": "done", "created_at": at} for i, d, u, at in
           [(1, 4, 1, _at(25, 1)), (2, 4, 2, _at(25, 1)), (3, 5, 1, _at(25, 17)), (4, 5, 2, _at(25, 15))]])
    rows("accounts", *[{"id": i, "code": code, "kind": kind, "user_id": user, "community_id": community,
                        "balance": 0, "allow_negative": kind != "user", "created_at": _at(1, 0)}
                       for i, code, kind, user, community in [(1, "issuance", "issuance", None, None),
                                                              (2, "user:1", "user", 1, None),
                                                              (3, "shop:3", "shop", None, 3)]])

    def posting(i: int, kind: str, amount: int, demand_id: int | None, moves: list[tuple[int, int]], at: datetime):
        rows("postings", {"id": i, "key": f"p{i}", "fingerprint": "f", "kind": kind, "amount": amount, "memo": "m",
                          "demand_id": demand_id, "data": {}, "created_at": at})
        rows("entries", *[{"posting_id": i, "account_id": a, "amount": n, "created_at": at} for a, n in moves])

    posting(1, "award", 10, 1, [(1, -10), (2, 10)], _at(25, 3))
    posting(2, "redeem", 30, None, [(2, -30), (3, 30)], _at(25, 4))
    posting(3, "reversal", 30, None, [(3, -30), (2, 30)], _at(25, 5))  # nets to 0 that day: no tally
    posting(4, "redeem", 20, None, [(2, -20), (3, 20)], _at(25, 17))  # the 26th in Beijing


def test_tallies_backfill_counts_what_was_there(scratch_url):
    migrate.upgrade(scratch_url, "0001")
    engine = make_engine(scratch_url)
    with engine.begin() as conn:
        _world_at_0001(conn)
    migrate.upgrade(scratch_url, "0002")
    with engine.connect() as conn:
        meta = MetaData()
        meta.reflect(conn, only=["tallies"])
        tallies = meta.tables["tallies"]
        got = {(c, d if isinstance(d, date) else date.fromisoformat(d), k): int(v)
               for c, d, k, v in conn.execute(select(tallies.c.community_id, tallies.c.day, tallies.c.key,
                                                     tallies.c.value))}
    engine.dispose()
    assert got == {
        (3, date(2026, 11, 25), "done:micro_wish"): 1,
        (3, date(2026, 11, 24), "done:micro_wish"): 1,
        (4, date(2026, 11, 25), "done:joint_activity"): 1,
        (4, date(2026, 11, 25), "participants"): 2,
        (3, date(2026, 11, 26), "claims:volunteer_item"): 1,
        (3, date(2026, 11, 25), "claims:volunteer_item"): 1,
        (3, date(2026, 11, 25), "issued"): 10,
        (3, date(2026, 11, 26), "redeemed"): 20,
    }


def _users(conn, *names: str) -> None:
    meta = MetaData()
    meta.reflect(conn, only=["users"])
    conn.execute(meta.tables["users"].insert(), [
        {"id": i, "username": name, "password_hash": "!", "display_name": name, "locale": "zh", "is_active": True,
         "must_change_password": False, "elder_mode": False, "created_at": _at(1, 0)}
        for i, name in enumerate(names, 1)])


def test_username_index_refuses_names_that_differ_only_in_case(scratch_url):
    """0020 stops, naming the look-alikes, rather than pick which account keeps its name."""
    migrate.upgrade(scratch_url, "0019_hall_undated")
    engine = make_engine(scratch_url)
    with engine.begin() as conn:
        _users(conn, "m0054", "M0054", "other")
    with pytest.raises(RuntimeError, match=r"m0054 \(id 1\), M0054 \(id 2\)"):
        migrate.upgrade(scratch_url, "0020_username_nocase")
    with engine.begin() as conn:
        conn.execute(text("UPDATE users SET username = 'm0054-2' WHERE id = 2"))
    migrate.upgrade(scratch_url, "0020_username_nocase")
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("INSERT INTO users (id, username, password_hash, display_name, locale, is_active, "
                          "must_change_password, elder_mode, created_at) "
                          "VALUES (9, 'OTHER', '!', 'x', 'zh', true, false, false, CURRENT_TIMESTAMP)"))
    engine.dispose()
