"""console: districts own their configuration; catalogue upkeep (#14)

Task-type codes unique within a district (the city's own types among themselves), per-type
point rules and the city's bounds, manual adjustments waiting for a second admin, relative
stock moves, news covers, background import jobs; and the dashboard's tallies recounted by
the workflows' categories with only new, standing claims counted.

Data is moved in literal SQL only (no imports of the application), so this runs on any
database of its time, however the code has changed since.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | Sequence[str] | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The workflows shipped when this revision was written, their category and their one
# successful ending: what the tallies meant by workflow id, and what they mean by category now.
SHIPPED = {"micro_wish": "micro_wish", "joint_activity": "activity", "volunteer_item": "volunteer",
           "appointment": "appointment"}


def upgrade() -> None:
    """Schema first, then the data that depends on it."""
    _defer_foreign_keys()
    with op.batch_alter_table('task_types', schema=None) as batch_op:
        batch_op.add_column(sa.Column('per_hour', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('rating_factors', sa.JSON(), nullable=True))
        batch_op.drop_constraint('uq_task_types_code', type_='unique')
        batch_op.create_check_constraint(
            'per_hour_range', 'per_hour IS NULL OR (per_hour >= 0 AND per_hour <= 10000)')
    _district_codes()
    with op.batch_alter_table('task_types', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_task_types_district_id_code'), ['district_id', 'code'])
        batch_op.create_index('uq_task_types_city_code', ['code'], unique=True,
                              sqlite_where=sa.text('district_id IS NULL'),
                              postgresql_where=sa.text('district_id IS NULL'))

    op.create_table('point_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('max_base_points', sa.Integer(), nullable=False),
    sa.Column('max_per_hour', sa.Double(), nullable=False),
    sa.Column('max_rating_factor', sa.Double(), nullable=False),
    sa.Column('adjust_threshold', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
              nullable=False),
    sa.CheckConstraint('max_base_points >= 0 AND max_base_points <= 100000', name=op.f('ck_point_policy_base_range')),
    sa.CheckConstraint('max_per_hour >= 0 AND max_per_hour <= 10000', name=op.f('ck_point_policy_per_hour_range')),
    sa.CheckConstraint('max_rating_factor >= 0 AND max_rating_factor <= 10',
                       name=op.f('ck_point_policy_factor_range')),
    sa.CheckConstraint('adjust_threshold >= 1 AND adjust_threshold <= 100000',
                       name=op.f('ck_point_policy_threshold_range')),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_point_policy_updated_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_policy'))
    )
    op.execute("INSERT INTO point_policy (id, max_base_points, max_per_hour, max_rating_factor, adjust_threshold) "
               "VALUES (1, 200, 20, 2, 100)")

    op.create_table('point_adjustments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=False),
    sa.Column('request_key', sa.String(length=160), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'rejected', name='adjustmentstatus', native_enum=False,
                                create_constraint=True, length=24), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('posting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
              nullable=False),
    sa.CheckConstraint('amount <> 0', name=op.f('ck_point_adjustments_nonzero')),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_point_adjustments_decided_by_users')),
    sa.ForeignKeyConstraint(['posting_id'], ['postings.id'], name=op.f('fk_point_adjustments_posting_id_postings')),
    sa.ForeignKeyConstraint(['requested_by'], ['users.id'], name=op.f('fk_point_adjustments_requested_by_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_point_adjustments_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_adjustments')),
    sa.UniqueConstraint('request_key', name=op.f('uq_point_adjustments_request_key'))
    )
    with op.batch_alter_table('point_adjustments', schema=None) as batch_op:
        batch_op.create_index('ix_point_adjustments_status', ['status', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_point_adjustments_user_id'), ['user_id'], unique=False)

    op.create_table('stock_moves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.Column('stock_after', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('request_key', sa.String(length=160), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
              nullable=False),
    sa.CheckConstraint('delta <> 0', name=op.f('ck_stock_moves_nonzero')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_stock_moves_actor_id_users')),
    sa.ForeignKeyConstraint(['item_id'], ['shop_items.id'], name=op.f('fk_stock_moves_item_id_shop_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_moves')),
    sa.UniqueConstraint('request_key', name=op.f('uq_stock_moves_request_key'))
    )
    with op.batch_alter_table('stock_moves', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_moves_item_id'), ['item_id'], unique=False)

    op.create_table('import_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('scope_paths', sa.JSON(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('status', sa.Enum('queued', 'running', 'done', 'failed', name='jobstatus', native_enum=False,
                                create_constraint=True, length=24), nullable=False),
    sa.Column('stage', sa.String(length=24), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
              nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('done >= 0 AND done <= total', name=op.f('ck_import_jobs_progress_range')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_import_jobs_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_jobs'))
    )
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_jobs_actor_id'), ['actor_id'], unique=False)

    with op.batch_alter_table('news_posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cover', sa.String(length=64), nullable=True))

    _recount_demand_tallies()
    _check_foreign_keys()


def _defer_foreign_keys() -> None:
    """SQLite rebuilds task_types to drop its unique constraint, and demands point at it: its
    foreign keys are switched off for this connection while the table is rebuilt (SQLite's own
    procedure for altering a table), and checked with `foreign_key_check` at the end. The
    pragma is ignored inside a transaction, so one left open by an earlier revision's data
    (upgrading an old database in one run) is committed first."""
    if op.get_bind().dialect.name != "sqlite":
        return
    raw = op.get_bind().connection.dbapi_connection
    if raw is not None and raw.in_transaction:
        raw.commit()
    op.execute("PRAGMA foreign_keys = OFF")


def _check_foreign_keys() -> None:
    """Every row still points at a row that exists (SQLite only: PostgreSQL never stopped checking)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"foreign keys broken by the rebuild: {broken[:5]}")


def _district_codes() -> None:
    """`micro_wish.yimei` → `micro_wish`: a district's code no longer needs its district's
    suffix to be unique (unless the district already has the plain code)."""
    suffix = "(SELECT r.code FROM regions r WHERE r.id = task_types.district_id)"
    stripped = f"substr(code, 1, length(code) - length({suffix}) - 1)"
    op.execute(f"""
        UPDATE task_types SET code = {stripped}
         WHERE district_id IS NOT NULL
           AND length(code) > length({suffix}) + 1
           AND substr(code, length(code) - length({suffix})) = '.' || {suffix}
           AND NOT EXISTS (SELECT 1 FROM task_types other
                            WHERE other.district_id = task_types.district_id
                              AND other.code = substr(task_types.code, 1,
                                  length(task_types.code) - length({suffix}) - 1))
    """)


def _local_day(column: str) -> str:
    """The Beijing calendar day of a stored UTC time (China keeps +8 all year)."""
    if op.get_bind().dialect.name == "postgresql":
        return f"date(timezone('Asia/Shanghai', {column}))"
    return f"date({column}, '+8 hours')"


def _recount_demand_tallies() -> None:
    """Done demands by category, standing participants of done activities, standing volunteer
    claims: the figures the engine now keeps, recounted from the sources."""
    op.execute("DELETE FROM tallies WHERE key LIKE 'done:%' OR key LIKE 'claims:%' OR key = 'participants'")
    category = "CASE d.workflow_id " + " ".join(f"WHEN '{w}' THEN '{c}'" for w, c in SHIPPED.items()) + " END"
    shipped = ", ".join(f"'{w}'" for w in SHIPPED)
    state_day, claim_day = _local_day("d.state_since"), _local_day("c.created_at")
    op.execute(f"""
        INSERT INTO tallies (community_id, day, key, value)
        SELECT d.community_id, {state_day}, 'done:' || {category}, count(*)
          FROM demands d WHERE d.state = 'done' AND d.workflow_id IN ({shipped})
         GROUP BY d.community_id, {state_day}, d.workflow_id
    """)
    op.execute(f"""
        INSERT INTO tallies (community_id, day, key, value)
        SELECT d.community_id, {state_day}, 'participants', count(*)
          FROM demands d JOIN claims c ON c.demand_id = d.id
         WHERE d.state = 'done' AND d.workflow_id = 'joint_activity'
           AND c.user_id IS NOT NULL AND c.status <> 'withdrawn'
         GROUP BY d.community_id, {state_day}
    """)
    op.execute(f"""
        INSERT INTO tallies (community_id, day, key, value)
        SELECT d.community_id, {claim_day}, 'claims:volunteer', count(*)
          FROM demands d JOIN claims c ON c.demand_id = d.id
         WHERE d.workflow_id = 'volunteer_item' AND c.status <> 'withdrawn'
         GROUP BY d.community_id, {claim_day}
    """)


def downgrade() -> None:
    """Back to workflow-id keys and globally unique codes (district codes get their suffix back)."""
    _defer_foreign_keys()
    for category, workflow in (("activity", "joint_activity"), ("volunteer", "volunteer_item")):
        op.execute(f"UPDATE tallies SET key = 'done:{workflow}' WHERE key = 'done:{category}'")
        op.execute(f"UPDATE tallies SET key = 'claims:{workflow}' WHERE key = 'claims:{category}'")
    op.execute("DELETE FROM tallies WHERE key IN ('done:urgent', 'claims:micro_wish', 'claims:activity', "
               "'claims:appointment', 'claims:urgent')")
    with op.batch_alter_table('news_posts', schema=None) as batch_op:
        batch_op.drop_column('cover')
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_jobs_actor_id'))
    op.drop_table('import_jobs')
    with op.batch_alter_table('stock_moves', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_moves_item_id'))
    op.drop_table('stock_moves')
    with op.batch_alter_table('point_adjustments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_point_adjustments_user_id'))
        batch_op.drop_index('ix_point_adjustments_status')
    op.drop_table('point_adjustments')
    op.drop_table('point_policy')
    with op.batch_alter_table('task_types', schema=None) as batch_op:
        batch_op.drop_index('uq_task_types_city_code')
        batch_op.drop_constraint(batch_op.f('uq_task_types_district_id_code'), type_='unique')
    op.execute("""
        UPDATE task_types SET code = code || '.' || (SELECT r.code FROM regions r WHERE r.id = task_types.district_id)
         WHERE district_id IS NOT NULL
    """)
    with op.batch_alter_table('task_types', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_task_types_per_hour_range'), type_='check')
        batch_op.create_unique_constraint(batch_op.f('uq_task_types_code'), ['code'])
        batch_op.drop_column('rating_factors')
        batch_op.drop_column('per_hour')
    _check_foreign_keys()
