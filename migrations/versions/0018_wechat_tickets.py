"""one-time WeChat bind tickets: the random id of a spent ticket is kept, so a ticket handed
to an unbound WeChat user binds one account once (a second use is refused); and each ticket's
short bind code, for an admin to bind the person's account on 账号管理

Revision ID: 0018_wechat_tickets
Revises: 0017_hall_indexes
Create Date: 2026-11-27

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018_wechat_tickets'
down_revision: str | Sequence[str] | None = '0017_hall_indexes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('wechat_tickets',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('spent_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wechat_tickets'))
    )
    with op.batch_alter_table('wechat_tickets', schema=None) as batch_op:
        batch_op.create_index('ix_wechat_tickets_spent_at', ['spent_at'], unique=False)

    op.create_table('wechat_bind_codes',
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('ticket_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_wechat_bind_codes'))
    )
    with op.batch_alter_table('wechat_bind_codes', schema=None) as batch_op:
        batch_op.create_index('ix_wechat_bind_codes_created_at', ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('wechat_bind_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_wechat_bind_codes_created_at')

    op.drop_table('wechat_bind_codes')
    with op.batch_alter_table('wechat_tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_wechat_tickets_spent_at')

    op.drop_table('wechat_tickets')
