"""rooms: indexes the read paths use (#12)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

"""
from collections.abc import Sequence

from alembic import op

revision: str = '0003'
down_revision: str | Sequence[str] | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """A demand's booking (release_booking, every appointment page) and a proof file's record
    (each download of a photo checks who may see its demand) were found by scanning."""
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bookings_demand_id'), ['demand_id'], unique=False)
    with op.batch_alter_table('service_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_records_proof'), ['proof'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('service_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_records_proof'))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bookings_demand_id'))
