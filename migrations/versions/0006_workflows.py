"""workflows: sound workflows: district lines, SLA per step (#15)

Versions belong to a line (the city's templates, or one district's own), and an overdue step
is escalated once per stay of the demand in its state (`escalations`). Existing versions stay
as they are: their content hashes were computed by the compiler of their day, and the
registry caches compiled versions by (workflow, version, stored hash), so nothing is rehashed
and no code of today is imported here.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | Sequence[str] | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """District lines on workflow versions; the escalations table. Every existing version
    becomes a city template (district NULL), which is what it was."""
    with op.batch_alter_table('workflow_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('district_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_workflow_versions_district_id_regions'), 'regions',
                                    ['district_id'], ['id'])
        batch_op.create_index('ix_workflow_versions_line', ['workflow_id', 'district_id', 'version'], unique=False)
    op.create_table('escalations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('demand_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=48), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('targets', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['demand_id'], ['demands.id'], name=op.f('fk_escalations_demand_id_demands')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalations')),
    sa.UniqueConstraint('demand_id', 'step', 'entered_at', name=op.f('uq_escalations_demand_id_step_entered_at'))
    )
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_escalations_demand_id'), ['demand_id'], unique=False)
    # An escalation already recorded on a demand that has since moved on was never cleared
    # (the bug this revision ends): keep the mark only where the demand still waits, with no
    # way left to tell which stay it was, so the monitor escalates it again at most once.
    op.execute("UPDATE demands SET escalated_at = NULL WHERE escalated_at IS NOT NULL "
               "AND escalated_at < state_since")


def downgrade() -> None:
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_escalations_demand_id'))
    op.drop_table('escalations')
    with op.batch_alter_table('workflow_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_workflow_versions_line')
        batch_op.drop_constraint(batch_op.f('fk_workflow_versions_district_id_regions'), type_='foreignkey')
        batch_op.drop_column('district_id')
