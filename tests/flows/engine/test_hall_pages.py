"""The hall reads only the page it shows (ordered ranges per community, organisation and open
state, merged) and shows exactly what one sorted query over every open demand would."""
from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import update

from flows.engine import hall as hall_reads
from flows.people.actors import load_actor
from schemas.tables import Demand
from tests.flows.walker import Walker
from tests.world import NOW, build_world


@pytest.fixture
def world(factory):
    return build_world(factory)


def _scatter(factory, world, count: int, seed: int) -> None:
    """Wishes in every open and closed state, timed (with ties) and untimed, in both
    communities, some grabbed by an organisation."""
    rng = random.Random(seed)
    ids = [Walker(factory, world).start("res_a", "micro_wish", {"title": f"心愿{i}"}).demand_id for i in range(count)]
    with factory() as s:
        for demand_id in ids:
            s.execute(update(Demand).where(Demand.id == demand_id).values(
                state=rng.choice(["open", "open", "review", "done", "claimed"]),
                starts_at=rng.choice([None, NOW + timedelta(hours=rng.randint(0, 5))]),
                community_id=rng.choice([world["ca"], world["ca"], world["cb"]]),
                org_id=rng.choice([None, None, world["org1"], world["org2"]])))
        s.commit()


@pytest.mark.parametrize("seed", [1, 2])
def test_the_page_is_the_first_rows_of_one_sorted_query(factory, world, monkeypatch, seed):
    _scatter(factory, world, 40, seed)
    with factory() as s:
        for who in ("mem1", "mem3", "res_a", "resmem"):
            actor = load_actor(s, world[who])
            for limit in (1, 5, 50):
                for filters in ({}, {"community_id": world["ca"]}, {"task_type_id": world["tt_micro_wish"]}):
                    merged = [r.demand.id for r in hall_reads.hall(s, actor, limit=limit, **filters)]
                    with monkeypatch.context() as m:
                        m.setattr(hall_reads, "_PARTS_MAX", 0)  # one sorted query over every open demand
                        sorted_all = [r.demand.id for r in hall_reads.hall(s, actor, limit=limit, **filters)]
                    assert merged == sorted_all, (who, limit, filters)
        member = load_actor(s, world["mem1"])
        assert hall_reads.hall(s, member, limit=50)  # the data has open demands for a member


def test_the_page_reads_a_bounded_number_of_rows(factory, world, engine):
    """However many are open in a community, the hall's statement reads at most a page per
    range: counted with SQLite's and PostgreSQL's own plans would differ, so by the rows the
    ranges hand back — the merged ids are never more than ranges × page."""
    from sqlalchemy import event

    _scatter(factory, world, 30, 3)
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with factory() as s:
        hall_reads.hall(s, load_actor(s, world["mem1"]), limit=5)
    hall_sql = [q for q in statements if "UNION" in q and "FROM demands" in q]
    assert len(hall_sql) == 1 and hall_sql[0].count("LIMIT") >= 4  # each range stops at the page


def test_the_untimed_are_read_newest_first_from_their_own_index(factory, world, engine):
    """A community with years of finished wishes and a few open, untimed ones: the untimed range
    comes from its own index in id order. `starts_at IS NULL` is no equality to PostgreSQL's
    planner, so the (community, state, starts_at, id) index could not give them in that order and
    it walked the primary key backwards instead — 480 ms for one hall on the province data set."""
    from sqlalchemy import event, insert, select, text

    from schemas.tables import WorkflowVersion

    _scatter(factory, world, 10, 4)
    with factory() as s, s.begin():
        version = s.scalar(select(WorkflowVersion).where(WorkflowVersion.workflow_id == "micro_wish"))
        s.execute(insert(Demand), [
            {"task_type_id": world["tt_micro_wish"], "workflow_id": "micro_wish", "workflow_version": version.version,
             "workflow_hash": version.content_hash, "state": "done", "state_since": NOW, "rev": 1, "title": f"旧{i}",
             "community_id": world["ca"], "requester_id": world["res_a"], "capacity": 1, "taken": 0,
             "required_skills": [], "data": {}, "created_at": NOW} for i in range(3000)])
    with engine.connect() as c:
        c.execute(text("ANALYZE"))
        c.commit()
    seen = []
    event.listen(engine, "before_cursor_execute", lambda *a: seen.append((a[2], a[3])))
    with factory() as s:
        hall_reads.hall(s, load_actor(s, world["mem1"]), limit=5)
    statement, params = next((q, p) for q, p in seen if "UNION" in q and "FROM demands" in q)
    with engine.connect() as c:
        cursor = c.connection.driver_connection.cursor()
        explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
        cursor.execute(explain + statement, params)
        plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
    assert "Backward using pk_demands" not in plan and "SCAN demands" not in plan, plan  # no walk over all
    if engine.dialect.name == "postgresql":  # SQLite takes IS NULL as an equality: (…, starts_at=?) serves it
        assert "ix_demands_hall_undated" in plan, plan
