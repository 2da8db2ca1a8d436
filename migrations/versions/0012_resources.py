"""resource sharing (#19)

Revision ID: 0012_resources
Revises: 0011_reminders
Create Date: 2026-11-26

"""
from collections.abc import Sequence

revision: str = '0012_resources'
down_revision: str | Sequence[str] | None = '0011_reminders'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
