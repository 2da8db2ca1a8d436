"""Revision 0023 gives every order the name of what was bought: orders from before take their
item's name as it stands at the upgrade (the best there is), and a rename afterwards no longer
reaches them."""
from __future__ import annotations

from sqlalchemy import text

from flows.core import migrate
from flows.core.db import make_engine

ROWS = """
INSERT INTO regions (id, parent_id, level, code, name, path) VALUES
  (1, NULL, 'city', 'yichun', '伊春市', '/1/'), (2, 1, 'district', 'yimei', '伊美区', '/1/2/'),
  (3, 2, 'street', 'yimei-s1', '旭日街道', '/1/2/3/'), (4, 3, 'community', 'yimei-s1-c1', '旭日社区', '/1/2/3/4/');
INSERT INTO users (id, username, password_hash, display_name, locale, is_active, created_at)
  VALUES (1, 'a', 'x', 'A', 'zh', true, '2026-11-19 02:00:00');
INSERT INTO shop_items (id, community_id, name, price, stock, limit_period, on_sale, created_at) VALUES
  (1, 4, '大米5kg', 30, 5, 'month', true, '2026-11-20 02:00:00'),
  (2, 4, '洗衣粉', 8, 5, 'month', true, '2026-11-20 02:00:00');
INSERT INTO orders (id, item_id, user_id, community_id, quantity, points, period, status, pickup_code, expires_at,
                    created_at) VALUES
  (1, 1, 1, 4, 1, 30, '2026-11', 'picked_up', 'AAAA1111', '2026-11-27 02:00:00', '2026-11-20 03:00:00'),
  (2, 2, 1, 4, 2, 16, '2026-11', 'reserved', 'BBBB2222', '2026-11-27 02:00:00', '2026-11-20 03:00:00');
"""


def test_orders_keep_the_name_they_were_bought_under(scratch_url):
    migrate.upgrade(scratch_url, "0022")
    engine = make_engine(scratch_url)
    with engine.begin() as conn:
        for statement in filter(str.strip, ROWS.split(";")):
            conn.execute(text(statement))
    migrate.upgrade(scratch_url, "0023")
    with engine.begin() as conn:
        assert dict(conn.execute(text("SELECT id, item_name FROM orders")).all()) == {1: "大米5kg", 2: "洗衣粉"}
        conn.execute(text("UPDATE shop_items SET name = '大米10kg' WHERE id = 1"))
        assert conn.execute(text("SELECT item_name FROM orders WHERE id = 1")).scalar_one() == "大米5kg"
    migrate.downgrade(scratch_url, "0022")
    migrate.upgrade(scratch_url)
    engine.dispose()
