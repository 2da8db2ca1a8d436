"""the JSON API (#18): apps' device sessions (hashed access and refresh tokens), WeChat
bindings (openid → account) and the answers kept for replayed Idempotency-Keys

Revision ID: 0013_api
Revises: 0012_resources
Create Date: 2026-11-27

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013_api'
down_revision: str | Sequence[str] | None = '0012_resources'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('api_replays',
    sa.Column('key', sa.String(length=96), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_api_replays'))
    )
    with op.batch_alter_table('api_replays', schema=None) as batch_op:
        batch_op.create_index('ix_api_replays_created_at', ['created_at'], unique=False)

    op.create_table('app_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('device', sa.String(length=64), nullable=False),
    sa.Column('via', sa.String(length=16), nullable=False),
    sa.Column('access_hash', sa.String(length=64), nullable=False),
    sa.Column('access_expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('refresh_hash', sa.String(length=64), nullable=False),
    sa.Column('previous_refresh_hash', sa.String(length=64), nullable=True),
    sa.Column('refresh_expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_app_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_tokens')),
    sa.UniqueConstraint('access_hash', name=op.f('uq_app_tokens_access_hash')),
    sa.UniqueConstraint('refresh_hash', name=op.f('uq_app_tokens_refresh_hash'))
    )
    with op.batch_alter_table('app_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_tokens_previous_refresh_hash'), ['previous_refresh_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_app_tokens_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('app_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_tokens_user_id'))
        batch_op.drop_index(batch_op.f('ix_app_tokens_previous_refresh_hash'))

    op.drop_table('app_tokens')
    with op.batch_alter_table('api_replays', schema=None) as batch_op:
        batch_op.drop_index('ix_api_replays_created_at')

    op.drop_table('api_replays')
