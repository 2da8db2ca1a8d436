"""elder mode (长辈版) and the community's phone (#20)

`users.elder_mode` remembers a person's choice of the elder layout (or their community staff's,
for someone who cannot find the switch); `regions.phone` is the number behind the "call the
community" button on every page.

Revision ID: 0008_elder
Revises: 0007
Create Date: 2026-11-26

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008_elder'
down_revision: str | Sequence[str] | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('elder_mode', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.drop_column('phone')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('elder_mode')
