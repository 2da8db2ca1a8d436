"""The API over real HTTP semantics: the reference client (admin/api/client.py) on httpx's
WSGI transport against the test app (the app's own code, every layer; no server process)."""
from __future__ import annotations

import re

import httpx
import pytest
from flask import request, request_finished

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


@pytest.fixture
def wechat(monkeypatch, provider):
    """WeChat log-in switched on against the local stand-in of its code-to-session endpoint."""
    for name, value in {"WECHAT_API_URL": provider.url, "WECHAT_APP_ID": "wx-app", "WECHAT_APP_SECRET": "s3"}.items():
        monkeypatch.setenv(f"YIJIA_{name}", value)
    from schemas.settings import get_settings

    get_settings.cache_clear()
    yield provider
    get_settings.cache_clear()


# Every answer the API gives in this test session, as (method, documented path, status): the
# last module of this directory (test_zz_statuses.py) checks that each status the document
# promises was reached by some test. Schemathesis's generated requests do not count: a status
# reached only by chance is not a test of it.
REACHED: set[tuple[str, str, int]] = set()
_PARAMETER = re.compile(r"<[^>]*?(\w+)>")


def _record(_sender, response, **_extra):
    if (request.path.startswith("/api/v1/") and request.url_rule is not None
            and not request.headers.get("User-Agent", "").startswith("schemathesis")):
        REACHED.add((request.method.lower(), _PARAMETER.sub(r"{\1}", request.url_rule.rule), response.status_code))


@pytest.fixture(scope="session", autouse=True)
def _reached():
    request_finished.connect(_record)
    yield REACHED
    request_finished.disconnect(_record)
