"""the JSON API (#18): a kept answer keeps its Location header, so a replayed POST that created
something still says where it is

Revision ID: 0015_replay_location
Revises: 0014_community_resources
Create Date: 2026-11-27

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015_replay_location'
down_revision: str | Sequence[str] | None = '0014_community_resources'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('api_replays', schema=None) as batch_op:
        batch_op.add_column(sa.Column('location', sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('api_replays', schema=None) as batch_op:
        batch_op.drop_column('location')
