"""notification delivery: channels, preferences, quiet hours, retries (#17)

Users get an e-mail address and a WeChat openid; notifications a due time (quiet hours,
back-off, the courier's lease) and the provider's receipt; people choose channels per kind;
districts may word the shipped templates their own way.

Revision ID: 0010_delivery
Revises: 0009_notifications
Create Date: 2026-11-26

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010_delivery'
down_revision: str | Sequence[str] | None = '0009_notifications'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('wechat_openid', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('email_pending', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('email_token_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('email_token_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_wechat_openid'), ['wechat_openid'])
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('provider_ref', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('community_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_notifications_community_id_regions'), 'regions', ['community_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_notifications_community_id'), ['community_id'], unique=False)
        batch_op.create_index('ix_notifications_courier', ['status', 'due_at'], unique=False)
    op.create_table('notice_choices',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=24), nullable=False),
    sa.Column('channels', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notice_choices_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'category', name=op.f('pk_notice_choices'))
    )
    op.create_table('notice_template_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=48), nullable=False),
    sa.Column('title_zh', sa.String(length=200), nullable=False),
    sa.Column('text_zh', sa.String(length=500), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=True),
    sa.Column('text_en', sa.String(length=500), nullable=True),
    sa.Column('sms_zh', sa.String(length=200), nullable=True),
    sa.Column('sms_en', sa.String(length=200), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['regions.id'], name=op.f('fk_notice_template_overrides_district_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_template_overrides')),
    sa.UniqueConstraint('district_id', 'name', name=op.f('uq_notice_template_overrides_district_id_name'))
    )


def downgrade() -> None:
    op.drop_table('notice_template_overrides')
    op.drop_table('notice_choices')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_courier')
        batch_op.drop_index(batch_op.f('ix_notifications_community_id'))
        batch_op.drop_constraint(batch_op.f('fk_notifications_community_id_regions'), type_='foreignkey')
        batch_op.drop_column('community_id')
        batch_op.drop_column('provider_ref')
        batch_op.drop_column('due_at')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_wechat_openid'), type_='unique')
        batch_op.drop_column('email_token_at')
        batch_op.drop_column('email_token_hash')
        batch_op.drop_column('email_pending')
        batch_op.drop_column('wechat_openid')
        batch_op.drop_column('email')
