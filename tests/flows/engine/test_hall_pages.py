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
