"""No redirect leaves the site: the console's `url=` on every kind of view, the log-in chain that
brings an anonymous admin back, and the portal's `next` — all decided by one helper
(admin/security/redirects.py)."""
from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest

from admin.security.redirects import is_local
from tests.admin.test_console import tokens

HOSTILE = [
    "http:/evil.example", "http://evil.example", "https://evil.example/x", "HTTP://evil.example", "http:evil.example",
    "//evil.example", "///evil.example", "////evil.example", "/\\evil.example", "\\\\evil.example", "\\/evil.example",
    "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "\t//evil.example", " //evil.example",
    "%2F%2Fevil.example", "/%2F%2Fevil.example", "/%2f/evil.example", "/%252F%252Fevil.example", "/%5Cevil.example",
    "/%09/evil.example", "javascript:alert(1)", "data:text/html,x", "evil.example", "/\x0b/evil.example",
    "/\u3000/evil.example", "/\u200b/evil.example", "http://yijia.test@evil.example/",
]
SITE = "http://yijia.test"


def stays_on_site(location: str | None) -> bool:
    """Where a browser would go, read as a browser reads it: tabs and newlines dropped,
    backslashes as slashes; it must be this site."""
    if location is None:
        return True
    browser = "".join(ch for ch in location if ch not in "\t\n\r").strip().replace("\\", "/")
    landed = urlsplit(urljoin(SITE + "/admin/", browser))
    return landed.scheme in ("http", "https") and landed.netloc == "yijia.test"


@pytest.mark.parametrize("target", HOSTILE)
def test_the_helper_refuses_every_hostile_target(target):
    assert not is_local(target)


@pytest.mark.parametrize("target", ["/", "/me", "/admin/shopitem/?page=2", "/demands/3?x=a%20b", "/新闻"])
def test_the_helper_keeps_paths_on_the_site(target):
    assert is_local(target)


@pytest.fixture
def admin(login):
    return login("cityadm")


def _console_answers(client, target: str):
    """Every way a console view follows `url=`: details, edit, export, create, delete, actions
    (Flask-Admin's and the bulk steps), as GET and as a posted field."""
    form = tokens(client, "/admin/shopitem/")
    yield client.get("/admin/shopitem/details/", query_string={"id": "0", "url": target})
    yield client.get("/admin/shopitem/edit/", query_string={"id": "0", "url": target})
    yield client.get("/admin/auditlog/export/csv/", query_string={"url": target})
    yield client.post("/admin/shopitem/delete/", data={**form, "id": "0", "url": target})
    yield client.post("/admin/shopitem/delete/", query_string={"url": target}, data={**form, "id": "0"})
    yield client.post("/admin/shopitem/action/", data={**form, "action": "delete", "url": target})
    yield client.post("/admin/demand/action/", data={**tokens(client, "/admin/demand/"), "action": "x", "url": target})
    yield client.post("/admin/shopitem/new/", query_string={"url": target}, data={
        **tokens(client, "/admin/shopitem/new/"), "name": f"测试{len(target)}{abs(hash(target))}",
        "community_id": "", "price": "5", "limit_period": "", "on_sale": "y"})


@pytest.mark.parametrize("target", HOSTILE)
def test_console_never_redirects_off_the_site(admin, target):
    for answer in _console_answers(admin, target):
        assert answer.status_code in (200, 302, 400), answer.status_code
        location = answer.headers.get("Location")
        assert stays_on_site(location) and "evil" not in (location or ""), (answer.request.path, location)


@pytest.mark.parametrize("target", ["http:/evil.example", "/\\evil.example", "/%2F%2Fevil.example"])
def test_console_pages_link_only_on_the_site(admin, world, factory, target):
    """The return address is also the page's "list" and "cancel" links: a dropped one is not shown."""
    page = admin.get("/admin/tasktype/edit/", query_string={"id": world["tt_micro_wish"], "url": target})
    assert page.status_code == 200 and "evil.example" not in page.get_data(as_text=True)


@pytest.mark.parametrize("target", HOSTILE[:12])
def test_log_in_chain_lands_on_the_site(app, target):
    """Anonymous → /login?next=… → log in → the console → its own fallback, never evil.example."""
    client = app.test_client()
    answer = client.get("/admin/shopitem/details/", query_string={"id": "0", "url": target})
    hops = []
    while answer.status_code == 302:
        location = answer.headers["Location"]
        hops.append(location)
        assert stays_on_site(location), hops
        if urlsplit(location).path == "/login":
            answer = client.post(location, data={"username": "cityadm", "password": "pw-123456"})
        else:
            answer = client.get(location)
        assert len(hops) < 6, hops
    assert answer.status_code == 200 and any("/login" in hop for hop in hops), hops


@pytest.mark.parametrize("target", HOSTILE)
def test_portal_next_stays_on_site(app, login, target):
    """The log-in's `next`, the 长辈版 switch's `next`, the password page's `next`."""
    visitor = app.test_client()
    answer = visitor.post("/login", query_string={"next": target}, data={"username": "mem1", "password": "pw-123456"})
    assert answer.status_code == 302 and stays_on_site(answer.headers["Location"])
    answer = visitor.post("/elder", data={"on": "1", "next": target})
    assert answer.status_code == 302 and stays_on_site(answer.headers["Location"])
