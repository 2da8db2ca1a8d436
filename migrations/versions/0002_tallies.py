"""tallies: running totals per community and day for the dashboard; an index for the monitor

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the table, then fill it from the data already there (in SQL, one statement per figure)."""
    op.create_table('tallies',
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['regions.id'], name=op.f('fk_tallies_community_id_regions')),
    sa.PrimaryKeyConstraint('community_id', 'day', 'key', name=op.f('pk_tallies'))
    )
    with op.batch_alter_table('demands', schema=None) as batch_op:
        batch_op.create_index('ix_demands_workflow_state_since', ['workflow_id', 'state', 'state_since'], unique=False)
    backfill(op.get_bind())


# The backfill is frozen here as SQL: it reproduces what flows.reporting.tallies.rebuild
# computed when this revision was written, on the tables as they were then, and imports
# nothing of the application, so a later change of the models or of the tallies cannot break
# a fresh upgrade. A day is the Beijing calendar day of a stored UTC time: PostgreSQL knows
# the zone; SQLite has no zone database, and Beijing's offset has been +8 hours since 1991.
LOCAL_DAY = {
    'postgresql': "date(timezone('Asia/Shanghai', {column}))",
    'sqlite': "date({column}, '+8 hours')",
}

FIGURES = [
    # demands done, per workflow, on the day they were done
    """SELECT d.community_id, {state_day}, 'done:' || d.workflow_id, count(*)
         FROM demands d
        WHERE d.state = 'done' AND d.workflow_id IN ('micro_wish', 'joint_activity', 'appointment')
        GROUP BY d.community_id, {state_day}, d.workflow_id""",
    # members who took part in a done joint activity
    """SELECT d.community_id, {state_day}, 'participants', count(*)
         FROM demands d JOIN claims c ON c.demand_id = d.id
        WHERE d.state = 'done' AND d.workflow_id = 'joint_activity' AND c.user_id IS NOT NULL
        GROUP BY d.community_id, {state_day}""",
    # claims of volunteer items, on the day they were made
    """SELECT d.community_id, {claim_day}, 'claims:' || d.workflow_id, count(*)
         FROM demands d JOIN claims c ON c.demand_id = d.id
        WHERE d.workflow_id IN ('volunteer_item')
        GROUP BY d.community_id, {claim_day}, d.workflow_id""",
    # points awarded, in the demand's community
    """SELECT d.community_id, {entry_day}, 'issued', sum(e.amount)
         FROM entries e JOIN postings p ON p.id = e.posting_id JOIN demands d ON d.id = p.demand_id
        WHERE p.kind = 'award' AND e.amount > 0
        GROUP BY d.community_id, {entry_day}""",
    # points redeemed (and given back) in a community's shop
    """SELECT a.community_id, {entry_day}, 'redeemed', sum(e.amount)
         FROM entries e JOIN postings p ON p.id = e.posting_id JOIN accounts a ON a.id = e.account_id
        WHERE a.kind = 'shop' AND a.community_id IS NOT NULL AND p.kind IN ('redeem', 'reversal')
        GROUP BY a.community_id, {entry_day}""",
]


def backfill(connection: sa.Connection) -> None:
    """Every tally recounted from the sources, in SQL (no rows through Python)."""
    day = LOCAL_DAY[connection.dialect.name]
    days = {"state_day": day.format(column="d.state_since"), "claim_day": day.format(column="c.created_at"),
            "entry_day": day.format(column="e.created_at")}
    for figure in FIGURES:
        connection.execute(sa.text('INSERT INTO tallies (community_id, "day", "key", "value") ' + figure.format(**days)))
    connection.execute(sa.text('DELETE FROM tallies WHERE "value" = 0'))


def downgrade() -> None:
    with op.batch_alter_table('demands', schema=None) as batch_op:
        batch_op.drop_index('ix_demands_workflow_state_since')
    op.drop_table('tallies')
