"""an order keeps the item's name as bought: orders.item_name, so renaming an item in the shop
no longer renames what past orders, receipts and the counter's list say was bought (rows from
before take the item's name of today, the best there is)

Revision ID: 0023_order_item_name
Revises: 0022_member_org_requests
Create Date: 2026-11-29

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0023_order_item_name'
down_revision: str | Sequence[str] | None = '0022_member_org_requests'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('orders') as batch:
        batch.add_column(sa.Column('item_name', sa.String(length=64), nullable=True))
    op.execute("UPDATE orders SET item_name = (SELECT shop_items.name FROM shop_items WHERE shop_items.id = orders.item_id)")
    op.execute("UPDATE orders SET item_name = '' WHERE item_name IS NULL")
    with op.batch_alter_table('orders') as batch:
        batch.alter_column('item_name', existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('orders') as batch:
        batch.drop_column('item_name')
