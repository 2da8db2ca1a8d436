"""Migrations upgrade from empty, downgrade to empty, and match the models exactly."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from flows.core import migrate
from flows.core.db import make_engine
from schemas.tables import Base


def test_upgrade_downgrade_upgrade(scratch_url):
    migrate.upgrade(scratch_url)
    engine = make_engine(scratch_url)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    migrate.downgrade(scratch_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(scratch_url)
    assert "demands" in inspect(engine).get_table_names()
    engine.dispose()


def test_models_and_migrations_agree(template_db):
    """A model change without a migration fails here, not in production."""
    engine = make_engine(template_db)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_resource_uses_move_to_their_own_figure_and_back(scratch_url):
    """0024: a done resource request's count moves from 预约服务 (done:appointment) to 资源共享
    (done:resource) on the day and in the community it was counted, and back on a downgrade."""
    from sqlalchemy import select

    from flows import engine as door
    from flows.core.db import make_sessionmaker
    from flows.engine import figures
    from schemas.tables import Tally
    from tests.flows.sharing.shared import add_sharing, local, request
    from tests.world import build_world

    migrate.upgrade(scratch_url)
    engine = make_engine(scratch_url)
    factory = make_sessionmaker(engine)
    world = add_sharing(factory, build_world(factory))
    with factory() as s:
        done = door.start(s, world["cadm_a"], world["tt_resource"], request(local(3, 14), local(3, 16)),
                          resource_id=world["room"], now=local(1, 9))
    for user, step, data in [("orgadm1", "approve", {}), ("orgadm1", "confirm_use", {}),
                             ("cadm_a", "evaluate", {"rating": 5})]:
        with factory() as s:
            door.act(s, world[user], done.demand_id, step, data, now=local(3, 17), auto=True)

    def keys() -> dict[str, int]:
        with factory() as s:
            return {k: v for k, v in s.execute(select(Tally.key, Tally.value)) if k.startswith("done:")}

    assert keys() == {"done:resource": 1}
    engine.dispose()
    migrate.downgrade(scratch_url, "0023_order_item_name")
    assert keys() == {"done:appointment": 1}
    migrate.upgrade(scratch_url)
    assert keys() == {"done:resource": 1}
    with factory() as s:
        assert figures.check(s) == []
    engine.dispose()
