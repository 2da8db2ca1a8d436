"""scale-out (#21): the hall reads only the page it shows — (community, state, starts_at, id)
replaces (community, state), whose queries it serves too, and (org_id, state, starts_at, id)
serves a member's organisation's grabbed activities

Revision ID: 0017_hall_indexes
Revises: 0016_fleet_marks
Create Date: 2026-11-27

"""
from collections.abc import Sequence

from alembic import op

revision: str = '0017_hall_indexes'
down_revision: str | Sequence[str] | None = '0016_fleet_marks'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('demands', schema=None) as batch_op:
        batch_op.create_index('ix_demands_hall', ['community_id', 'state', 'starts_at', 'id'], unique=False)
        batch_op.create_index('ix_demands_org_hall', ['org_id', 'state', 'starts_at', 'id'], unique=False)
        batch_op.drop_index('ix_demands_community_state')


def downgrade() -> None:
    with op.batch_alter_table('demands', schema=None) as batch_op:
        batch_op.create_index('ix_demands_community_state', ['community_id', 'state'], unique=False)
        batch_op.drop_index('ix_demands_org_hall')
        batch_op.drop_index('ix_demands_hall')
