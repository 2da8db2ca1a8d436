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
