"""resource sharing (#19): resources, their opening hours and closures, booked time ranges,
and the directory's items linked to the resource that offers them

A booked range never overlaps another held one of the same resource: decided in the booking's
transaction with the resource row locked (flows.sharing.bookings), identically on both engines.

Revision ID: 0012_resources
Revises: 0011_reminders
Create Date: 2026-11-26

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012_resources'
down_revision: str | Sequence[str] | None = '0011_reminders'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('resources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('directory_entry_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('room', 'equipment', 'vehicle', 'service', name='resourcekind', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('location', sa.String(length=255), nullable=True),
    sa.Column('lat', sa.Double(), nullable=True),
    sa.Column('lng', sa.Double(), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('equipment', sa.String(length=255), nullable=True),
    sa.Column('rules', sa.Text(), nullable=True),
    sa.Column('photo', sa.String(length=64), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint('capacity IS NULL OR capacity >= 1', name=op.f('ck_resources_capacity_positive')),
    sa.ForeignKeyConstraint(['community_id'], ['regions.id'], name=op.f('fk_resources_community_id_regions')),
    sa.ForeignKeyConstraint(['directory_entry_id'], ['directory_entries.id'], name=op.f('fk_resources_directory_entry_id_directory_entries')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_resources_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resources'))
    )
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resources_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_resources_directory_entry_id'), ['directory_entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_resources_org_id'), ['org_id'], unique=False)

    op.create_table('resource_bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('demand_id', sa.Integer(), nullable=False),
    sa.Column('for_demand_id', sa.Integer(), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('held', 'released', name='resourcebookingstatus', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_resource_bookings_ends_after_start')),
    sa.ForeignKeyConstraint(['demand_id'], ['demands.id'], name=op.f('fk_resource_bookings_demand_id_demands')),
    sa.ForeignKeyConstraint(['for_demand_id'], ['demands.id'], name=op.f('fk_resource_bookings_for_demand_id_demands')),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], name=op.f('fk_resource_bookings_resource_id_resources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resource_bookings')),
    sa.UniqueConstraint('demand_id', name=op.f('uq_resource_bookings_demand_id'))
    )
    with op.batch_alter_table('resource_bookings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resource_bookings_for_demand_id'), ['for_demand_id'], unique=False)
        batch_op.create_index('ix_resource_bookings_range', ['resource_id', 'starts_at', 'ends_at'], unique=False)

    op.create_table('resource_closures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=128), nullable=True),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], name=op.f('fk_resource_closures_resource_id_resources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resource_closures'))
    )
    with op.batch_alter_table('resource_closures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resource_closures_resource_id'), ['resource_id'], unique=False)

    op.create_table('resource_hours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('opens', sa.Integer(), nullable=False),
    sa.Column('closes', sa.Integer(), nullable=False),
    sa.CheckConstraint('opens >= 0 AND closes <= 1440 AND closes > opens', name=op.f('ck_resource_hours_opens_before_closes')),
    sa.CheckConstraint('weekday >= 0 AND weekday <= 6', name=op.f('ck_resource_hours_weekday_range')),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], name=op.f('fk_resource_hours_resource_id_resources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resource_hours'))
    )
    with op.batch_alter_table('resource_hours', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resource_hours_resource_id'), ['resource_id'], unique=False)

    with op.batch_alter_table('directory_services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resource_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_directory_services_resource_id'), ['resource_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_directory_services_resource_id_resources'), 'resources', ['resource_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('directory_services', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_directory_services_resource_id_resources'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_directory_services_resource_id'))
        batch_op.drop_column('resource_id')

    with op.batch_alter_table('resource_hours', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resource_hours_resource_id'))

    op.drop_table('resource_hours')
    with op.batch_alter_table('resource_closures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resource_closures_resource_id'))

    op.drop_table('resource_closures')
    with op.batch_alter_table('resource_bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_resource_bookings_range')
        batch_op.drop_index(batch_op.f('ix_resource_bookings_for_demand_id'))

    op.drop_table('resource_bookings')
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resources_org_id'))
        batch_op.drop_index(batch_op.f('ix_resources_directory_entry_id'))
        batch_op.drop_index(batch_op.f('ix_resources_community_id'))

    op.drop_table('resources')
