"""resource sharing (#19): a community may share a resource itself — `resources.org_id` may be
empty, and then the community's admins answer its requests (`by: holder_admin`)

Revision ID: 0014_community_resources
Revises: 0013_api
Create Date: 2026-11-27

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014_community_resources'
down_revision: str | Sequence[str] | None = '0013_api'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.alter_column('org_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # a community's own resources have no organisation to fall back on: they go
    op.execute("DELETE FROM resource_closures WHERE resource_id IN (SELECT id FROM resources WHERE org_id IS NULL)")
    op.execute("DELETE FROM resource_hours WHERE resource_id IN (SELECT id FROM resources WHERE org_id IS NULL)")
    op.execute("UPDATE directory_services SET resource_id = NULL "
               "WHERE resource_id IN (SELECT id FROM resources WHERE org_id IS NULL)")
    op.execute("DELETE FROM resource_bookings WHERE resource_id IN (SELECT id FROM resources WHERE org_id IS NULL)")
    op.execute("DELETE FROM resources WHERE org_id IS NULL")
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.alter_column('org_id', existing_type=sa.Integer(), nullable=False)
