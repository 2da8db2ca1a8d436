"""a message's words in each language: notifications.texts holds an inbox row's title and
text in the languages other than Chinese, so the inbox reads in its reader's language of the
moment (rows from before have none and read in Chinese, as they were written)

Revision ID: 0021_notice_texts
Revises: 0020_username_nocase
Create Date: 2026-11-28

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021_notice_texts'
down_revision: str | Sequence[str] | None = '0020_username_nocase'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('notifications') as batch:
        batch.add_column(sa.Column('texts', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notifications') as batch:
        batch.drop_column('texts')
