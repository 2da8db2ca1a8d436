"""notification delivery: channels, preferences, quiet hours, retries (#17)

Revision ID: 0010_delivery
Revises: 0009_notifications
Create Date: 2026-11-26

"""
from collections.abc import Sequence

revision: str = '0010_delivery'
down_revision: str | Sequence[str] | None = '0009_notifications'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
