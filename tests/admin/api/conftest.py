"""The API over real HTTP semantics: the reference client (admin/api/client.py) on httpx's
WSGI transport against the test app (the app's own code, every layer; no server process)."""
from __future__ import annotations

import httpx
import pytest

from admin.api.client import Client
from tests.admin.conftest import PASSWORD


@pytest.fixture
def api(app):
    """`api("mem1")` → a reference client logged in as that user; `api()` → not logged in."""
    made: list[Client] = []

    def _api(username: str | None = None, *, language: str = "zh") -> Client:
        client = Client("http://yijia.test", transport=httpx.WSGITransport(app=app), language=language)
        if username:
            client.login(username, PASSWORD)
        made.append(client)
        return client

    yield _api
    for client in made:
        client.http.close()
