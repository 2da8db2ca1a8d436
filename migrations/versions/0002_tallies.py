"""tallies: running totals per community and day for the dashboard; an index for the monitor

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the table, then fill it from the data already there (in SQL, one statement per figure)."""
    op.create_table('tallies',
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['regions.id'], name=op.f('fk_tallies_community_id_regions')),
    sa.PrimaryKeyConstraint('community_id', 'day', 'key', name=op.f('pk_tallies'))
    )
    with op.batch_alter_table('demands', schema=None) as batch_op:
        batch_op.create_index('ix_demands_workflow_state_since', ['workflow_id', 'state', 'state_since'], unique=False)
    from sqlalchemy.orm import Session

    from flows.reporting import tallies

    tallies.rebuild(Session(bind=op.get_bind()))


def downgrade() -> None:
    with op.batch_alter_table('demands', schema=None) as batch_op:
        batch_op.drop_index('ix_demands_workflow_state_since')
    op.drop_table('tallies')
