"""The home page lists the demo's communities."""
from __future__ import annotations

import pytest

from admin.app import create_app
from flows.demo.reference import load_reference


@pytest.fixture
def client(db_url, factory):
    with factory() as session, session.begin():
        load_reference(session, lambda *_: None)
    app = create_app({"TESTING": True, "DATABASE_URL": db_url})
    yield app.test_client()
    app.extensions["yijia.engine"].dispose()


def test_home_lists_communities(client):
    page = client.get("/").get_data(as_text=True)
    assert "伊美区" in page and "旭日社区" in page and "江畔社区" in page


def test_english_available(client):
    page = client.get("/?lang=en").get_data(as_text=True)
    assert 'lang="en"' in page and "Dual reporting, dual service" in page
    assert "双报到、双服务" in client.get("/?lang=zh").get_data(as_text=True)
