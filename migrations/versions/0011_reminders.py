"""reminders and confirmations of claims (#17)

Revision ID: 0011_reminders
Revises: 0010_delivery
Create Date: 2026-11-26

"""
from collections.abc import Sequence

revision: str = '0011_reminders'
down_revision: str | Sequence[str] | None = '0010_delivery'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
