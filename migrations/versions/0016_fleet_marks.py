"""scale-out (#21): the worker fleet's marks — a periodic duty's cursor (the reconciler resumes
from the last event it saw) and the lease of the worker doing it — and the outbox rows' lease
(a demand's rows are delivered by one worker at a time)

Revision ID: 0016_fleet_marks
Revises: 0015_replay_location
Create Date: 2026-11-27

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016_fleet_marks'
down_revision: str | Sequence[str] | None = '0015_replay_location'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('fleet_marks',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('holder', sa.String(length=128), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_fleet_marks'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('leased_by', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('lease_until')
        batch_op.drop_column('leased_by')
    op.drop_table('fleet_marks')
