"""reminders and confirmations of claims (#17)

A claim remembers when its holder confirmed their place; demands are found by their start
time (an indexed range per pass of the reminder flow, not a scan).

Revision ID: 0011_reminders
Revises: 0010_delivery
Create Date: 2026-11-26

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011_reminders'
down_revision: str | Sequence[str] | None = '0010_delivery'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('claims') as batch:
        batch.add_column(sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_demands_starts_at', 'demands', ['starts_at'])


def downgrade() -> None:
    op.drop_index('ix_demands_starts_at', table_name='demands')
    with op.batch_alter_table('claims') as batch:
        batch.drop_column('confirmed_at')
