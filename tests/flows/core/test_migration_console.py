"""Revision 0005 moves data, in literal SQL: district task-type codes lose their district
suffix, and the dashboard's demand tallies are recounted by category from the sources."""
from __future__ import annotations

from sqlalchemy import text

from flows.core import migrate
from flows.core.db import make_engine

ROWS = """
INSERT INTO regions (id, parent_id, level, code, name, path) VALUES
  (1, NULL, 'city', 'yichun', '伊春市', '/1/'), (2, 1, 'district', 'yimei', '伊美区', '/1/2/'),
  (3, 2, 'street', 'yimei-s1', '旭日街道', '/1/2/3/'), (4, 3, 'community', 'yimei-s1-c1', '旭日社区', '/1/2/3/4/');
INSERT INTO users (id, username, password_hash, display_name, locale, is_active, failed_logins)
  VALUES (1, 'a', 'x', 'A', 'zh', true, 0), (2, 'b', 'x', 'B', 'zh', true, 0), (3, 'c', 'x', 'C', 'zh', true, 0);
INSERT INTO task_types (id, code, name, category, default_points, workflow_id, district_id, is_active) VALUES
  (1, 'micro_wish.yimei', '微心愿', 'micro_wish', 10, 'micro_wish', 2, true),
  (2, 'micro_wish', '微心愿', 'micro_wish', 10, 'micro_wish', NULL, true),
  (3, 'volunteer.yimei', '志愿', 'volunteer', 5, 'volunteer_item', 2, true),
  (4, 'volunteer', '志愿', 'volunteer', 5, 'volunteer_item', 2, true),
  (5, 'env_cleanup.yimei', '环境整治', 'activity', 15, 'joint_activity', 2, true);
INSERT INTO workflow_versions (id, workflow_id, version, content_hash, title, source) VALUES
  (1, 'volunteer_item', 1, 'h1', 'v', 's'), (2, 'joint_activity', 1, 'h2', 'a', 's');
INSERT INTO demands (id, task_type_id, workflow_id, workflow_version, workflow_hash, state, state_since, rev, title,
                     community_id, capacity, taken, required_skills, data) VALUES
  (1, 3, 'volunteer_item', 1, 'h1', 'open', '2026-11-20 02:00:00', 1, 'v', 4, 5, 1, '[]', '{}'),
  (2, 5, 'joint_activity', 1, 'h2', 'done', '2026-11-21 20:00:00', 1, 'a', 4, 5, 1, '[]', '{}');
INSERT INTO claims (id, demand_id, step, user_id, org_id, created_by, status, created_at) VALUES
  (1, 1, 'join', 1, NULL, 1, 'active', '2026-11-20 03:00:00'),
  (2, 1, 'join', 2, NULL, 2, 'withdrawn', '2026-11-20 03:00:00'),
  (3, 2, 'sign_up', 1, NULL, 1, 'done', '2026-11-19 03:00:00'),
  (4, 2, 'sign_up', 3, NULL, 3, 'withdrawn', '2026-11-19 03:00:00');
INSERT INTO tallies (community_id, day, key, value) VALUES
  (4, '2026-11-20', 'claims:volunteer_item', 5), (4, '2026-11-22', 'done:joint_activity', 1),
  (4, '2026-11-22', 'participants', 2), (4, '2026-11-22', 'issued', 40);
"""


def test_codes_and_tallies_moved(scratch_url):
    migrate.upgrade(scratch_url, "0004")
    engine = make_engine(scratch_url)
    with engine.begin() as conn:
        for statement in filter(str.strip, ROWS.split(";")):
            conn.execute(text(statement))
    migrate.upgrade(scratch_url, "0005")
    with engine.connect() as conn:
        codes = dict(conn.execute(text("SELECT id, code FROM task_types")).all())
        tallies = {(str(day), key): value for day, key, value in conn.execute(
            text("SELECT day, key, value FROM tallies WHERE community_id = 4"))}
        policy = conn.execute(text("SELECT adjust_threshold FROM point_policy")).scalar_one()
    # the plain code was free in the district except for the volunteer type (4 holds it)
    assert codes == {1: "micro_wish", 2: "micro_wish", 3: "volunteer.yimei", 4: "volunteer", 5: "env_cleanup"}
    # one standing volunteer claim, one done activity (its local day) with one standing participant
    assert tallies == {("2026-11-20", "claims:volunteer"): 1, ("2026-11-22", "done:activity"): 1,
                       ("2026-11-22", "participants"): 1, ("2026-11-22", "issued"): 40}
    assert policy == 100
    migrate.downgrade(scratch_url, "0004")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT code FROM task_types WHERE id = 1")).scalar_one() == "micro_wish.yimei"
        assert conn.execute(text("SELECT value FROM tallies WHERE key = 'done:joint_activity'")).scalar_one() == 1
    engine.dispose()
