"""a member asks to join an organisation and its admins decide: members.org_requested_id and
org_requested_at hold the request that waits (flows/people/joining.py); org_id changes only by
the organisation's 通过

Revision ID: 0022_member_org_requests
Revises: 0021_notice_texts
Create Date: 2026-11-28

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0022_member_org_requests'
down_revision: str | Sequence[str] | None = '0021_notice_texts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('members') as batch:
        batch.add_column(sa.Column('org_requested_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('org_requested_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key('fk_members_org_requested_id_organisations', 'organisations',
                                 ['org_requested_id'], ['id'])
        batch.create_index('ix_members_org_requested_id', ['org_requested_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('members') as batch:
        batch.drop_index('ix_members_org_requested_id')
        batch.drop_constraint('fk_members_org_requested_id_organisations', type_='foreignkey')
        batch.drop_column('org_requested_at')
        batch.drop_column('org_requested_id')
