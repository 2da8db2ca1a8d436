"""user names unique ignoring case: a unique index on lower(username), so ADMIN_CITY cannot be
signed up beside admin_city (log-in ignores case too, docs/security.md)

If rows already collide (names that differ only in case), the upgrade stops and names them:
which account keeps its name is a person's decision, not a migration's. Rename all but one
(`UPDATE users SET username = … WHERE id = …`) and run it again.

Revision ID: 0020_username_nocase
Revises: 0019_hall_undated
Create Date: 2026-11-28

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020_username_nocase'
down_revision: str | Sequence[str] | None = '0019_hall_undated'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    clashes = op.get_bind().execute(sa.text(
        "SELECT id, username FROM users WHERE lower(username) IN "
        "(SELECT lower(username) FROM users GROUP BY lower(username) HAVING count(*) > 1) "
        "ORDER BY lower(username), id")).all()
    if clashes:
        named = ", ".join(f"{name} (id {id_})" for id_, name in clashes)
        raise RuntimeError(f"user names that differ only in case: {named}. Rename all but one of each "
                           "and run the upgrade again (migrations/versions/0020_username_nocase.py).")
    op.create_index('uq_users_username_lower', 'users', [sa.text('lower(username)')], unique=True)


def downgrade() -> None:
    op.drop_index('uq_users_username_lower', table_name='users')
