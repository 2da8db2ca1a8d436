"""a shared resource's uses are their own figure (资源共享, tally key done:resource): done resource
requests were counted in 预约服务 (done:appointment), the category their workflow is filed under;
their past counts move from the one key to the other, day by day and community by community

Revision ID: 0024_resource_figure
Revises: 0023_order_item_name
Create Date: 2026-11-29

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0024_resource_figure'
down_revision: str | Sequence[str] | None = '0023_order_item_name'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen as SQL, importing nothing of the application (see 0002_tallies): a demand that holds a
# resource booking is a resource request; it was counted on the Beijing day it reached `done`.
LOCAL_DAY = {
    'postgresql': "date(timezone('Asia/Shanghai', d.state_since))",
    'sqlite': "date(d.state_since, '+8 hours')",
}
DONE_REQUESTS = """SELECT d.community_id, {day}, count(*)
                     FROM demands d JOIN resource_bookings rb ON rb.demand_id = d.id
                    WHERE d.state = 'done'
                    GROUP BY d.community_id, {day}"""


def _move(source: str, target: str) -> None:
    connection = op.get_bind()
    day = LOCAL_DAY[connection.dialect.name]
    rows = connection.execute(sa.text(DONE_REQUESTS.format(day=day))).all()
    for community_id, when, n in rows:
        where = {"community_id": community_id, "day": when}
        connection.execute(sa.text('UPDATE tallies SET "value" = "value" - :n WHERE community_id = :community_id '
                                   'AND "day" = :day AND "key" = :key'), {**where, "n": n, "key": source})
        updated = connection.execute(sa.text('UPDATE tallies SET "value" = "value" + :n WHERE community_id = :community_id '
                                             'AND "day" = :day AND "key" = :key'), {**where, "n": n, "key": target})
        if updated.rowcount == 0:
            connection.execute(sa.text('INSERT INTO tallies (community_id, "day", "key", "value") '
                                       'VALUES (:community_id, :day, :key, :n)'), {**where, "n": n, "key": target})
    connection.execute(sa.text('DELETE FROM tallies WHERE "value" <= 0 AND "key" IN (:a, :b)'),
                       {"a": source, "b": target})


def upgrade() -> None:
    _move('done:appointment', 'done:resource')


def downgrade() -> None:
    _move('done:resource', 'done:appointment')
