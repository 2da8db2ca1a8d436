"""journeys: what the journeys need (#13)

Only active rows are unique: a member who withdrew may sign up again, a cancelled booking
may be booked again (partial unique indexes, on both engines). Every event may carry the
one-time key of the form that caused it, so a form sent twice is done once.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

"""
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | Sequence[str] | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index, table, columns, the rows it covers) — a full unique constraint becomes one over active rows
PARTIAL = [
    ("uq_claims_active_user", "claims", ["demand_id", "user_id"], "status = 'active'"),
    ("uq_claims_active_org", "claims", ["demand_id", "org_id"], "status = 'active'"),
    ("uq_bookings_booked", "bookings", ["slot_id", "user_id"], "status = 'booked'"),
]
FULL = [
    ("uq_claims_demand_id_user_id", "claims", ["demand_id", "user_id"]),
    ("uq_claims_demand_id_org_id", "claims", ["demand_id", "org_id"]),
    ("uq_bookings_slot_id_user_id", "bookings", ["slot_id", "user_id"]),
]


def upgrade() -> None:
    """Full uniques out, partial ones in; the events' request key column and its unique index."""
    with _rebuilding_tables():
        for name, table, _ in FULL:
            with op.batch_alter_table(table) as batch_op:
                batch_op.drop_constraint(name, type_="unique")
    for name, table, columns, where in PARTIAL:
        op.create_index(name, table, columns, unique=True,
                        sqlite_where=sa.text(where), postgresql_where=sa.text(where))
    # ADD COLUMN keeps the table (and its append-only triggers) as it is on both engines
    op.add_column('events', sa.Column('request_key', sa.String(length=96), nullable=True))
    op.create_index('uq_events_request_key', 'events', ['request_key'], unique=True)


def downgrade() -> None:
    """Back to full uniques (fails, as it should, if a re-done claim or booking would break them)."""
    op.drop_index('uq_events_request_key', table_name='events')
    op.drop_column('events', 'request_key')  # ALTER TABLE … DROP COLUMN: the triggers stay
    for name, table, _, _ in PARTIAL:
        op.drop_index(name, table_name=table)
    with _rebuilding_tables():
        for name, table, columns in FULL:
            with op.batch_alter_table(table) as batch_op:
                batch_op.create_unique_constraint(name, columns)



@contextmanager
def _rebuilding_tables() -> Iterator[None]:
    """SQLite rebuilds a table to change its constraints (copy, drop, rename), and the drop
    would orphan the rows that refer to it: foreign keys are switched off for the rebuild,
    which SQLite allows only outside a transaction, then checked and switched on again."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    raw = bind.connection.dbapi_connection
    raw.commit()  # the migrations before this one stay done
    bind.exec_driver_sql("PRAGMA foreign_keys = OFF")
    try:
        yield
        raw.commit()
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken by the rebuild: {broken[:5]}")
    finally:
        bind.exec_driver_sql("PRAGMA foreign_keys = ON")
