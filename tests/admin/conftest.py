"""A web app on the test world, with a log-in helper per user."""
from __future__ import annotations

import pytest
from sqlalchemy import update
from werkzeug.security import generate_password_hash

from admin.app import create_app
from flows.engine import figures
from schemas.tables import User
from tests.world import build_world

PASSWORD = "pw-123456"


@pytest.fixture
def world(factory):
    """The test world; afterwards, whatever the test did over HTTP, in the console or in a
    browser, the dashboard's tallies must still equal a recount from the sources."""
    world = build_world(factory)
    with factory() as s, s.begin():
        s.execute(update(User).values(password_hash=generate_password_hash(PASSWORD)))
    yield world
    with factory() as s:
        assert figures.check(s) == [], "the dashboard's tallies drifted from a recount"


@pytest.fixture
def app(db_url, world, tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "WTF_CSRF_ENABLED": False,
                      "FLASK_ADMIN_RAISE_ON_VIEW_EXCEPTION": True,
                      "STORAGE_DIR": tmp_path / "storage", "SERVER_NAME": "yijia.test"})
    yield app
    app.extensions["yijia.engine"].dispose()


@pytest.fixture
def login(app):
    """`login("mem1")` → a test client logged in as that user."""
    def _login(username: str):
        client = app.test_client()
        response = client.post("/login", data={"username": username, "password": PASSWORD})
        assert response.status_code == 302, f"log-in failed for {username}"
        return client
    return _login
