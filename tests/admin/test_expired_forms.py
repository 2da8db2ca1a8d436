"""A form posted without its CSRF token, or with a stale one, answers the app's own "page
expired" page, in the reader's language, on the portal and in the console (every kind of
console form); the API keeps answering problems."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from admin.app import create_app
from schemas.tables import ShopItem, TaskType
from tests.admin.conftest import PASSWORD

EXPIRED_ZH, EXPIRED_EN = "页面已过期，请刷新后重试", "This page has expired"


@pytest.fixture
def strict(db_url, world, tmp_path):
    """The app as in production: CSRF on for every form."""
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "STORAGE_DIR": tmp_path, "SERVER_NAME": "yijia.test"})
    yield app
    app.extensions["yijia.engine"].dispose()


def _token(client, url: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)


def _logged_in(app, username: str, lang: str | None = None):
    client = app.test_client()
    if lang:
        client.get(f"/login?lang={lang}")
    answer = client.post("/login", data={"username": username, "password": PASSWORD,
                                         "csrf_token": _token(client, "/login")})
    assert answer.status_code == 302
    return client


def _is_expired_page(answer, sentence: str = EXPIRED_ZH) -> bool:
    text = answer.get_data(as_text=True)
    return (answer.status_code == 400 and answer.mimetype == "text/html" and sentence in text
            and "CSRF" not in text and "Failed to perform" not in text)


@pytest.mark.parametrize("token", [None, "forged", "IjEyMyI.aaaa.bbbb"])
def test_portal_forms_answer_the_expired_page(strict, token):
    visitor = strict.test_client()
    data = {"username": "mem1", "password": PASSWORD, **({"csrf_token": token} if token else {})}
    assert _is_expired_page(visitor.post("/login", data=data))
    assert _is_expired_page(visitor.post("/elder", data={"on": "1", **({"csrf_token": token} if token else {})}))
    member = _logged_in(strict, "mem1")
    assert _is_expired_page(member.post("/logout", data={"csrf_token": token} if token else {}))
    assert _is_expired_page(member.post("/account", data={"current": PASSWORD, "new": "x", "confirm": "x"}))


def test_the_expired_page_speaks_english_when_chosen(strict):
    member = _logged_in(strict, "mem1", lang="en")
    assert _is_expired_page(member.post("/logout"), EXPIRED_EN)
    admin = _logged_in(strict, "cityadm", lang="en")
    assert _is_expired_page(admin.post("/admin/shopitem/action/", data={"action": "delete"}), EXPIRED_EN)


def _console_posts(world, item: int):
    """One post of every kind of console form: delete, actions, bulk steps, create, edit, in-place
    edit, a view's own form (restock), and the custom pages' forms (the app-wide token)."""
    yield "/admin/shopitem/delete/", {"id": str(item)}
    yield "/admin/shopitem/action/", {"action": "delete", "rowid": str(item)}
    yield "/admin/demand/action/", {"action": "cancel", "rowid": "1"}
    yield "/admin/shopitem/new/", {"name": "过期的商品", "community_id": "", "price": "5", "on_sale": "y"}
    yield f"/admin/tasktype/edit/?id={world['tt_micro_wish']}", {"name": "改名", "default_points": "99"}
    yield "/admin/shopitem/ajax/update/", {"list_form_pk": str(item), "price": "99"}
    yield f"/admin/shopitem/restock/?id={item}", {"delta": "5", "reason": "x", "request_key": "k"}
    yield "/admin/workflows/validate", {"source": "id: x"}
    yield "/admin/imports/", {"kind": "members"}


@pytest.mark.parametrize("token", [None, "forged"])
def test_console_forms_answer_the_expired_page_and_change_nothing(strict, world, factory, token):
    with factory() as s:
        item = ShopItem(community_id=world["ca"], name="本区大米", price=10, stock=5)
        s.add(item)
        s.commit()
        item_id = item.id
    admin = _logged_in(strict, "cityadm")
    for url, data in _console_posts(world, item_id):
        answer = admin.post(url, data={**data, **({"csrf_token": token} if token else {})})
        assert _is_expired_page(answer), (url, answer.status_code, answer.get_data(as_text=True)[:300])
        assert 'href="/admin/"' in answer.get_data(as_text=True)  # back to the console, not the portal
    with factory() as s:
        assert s.get(ShopItem, item_id).price == 10 and s.get(ShopItem, item_id).stock == 5
        assert s.scalar(select(TaskType.default_points).where(TaskType.id == world["tt_micro_wish"])) != 99
        assert s.scalar(select(ShopItem.id).where(ShopItem.name == "过期的商品")) is None


def test_the_api_still_answers_problems(strict):
    """The API has no CSRF token: a cookie-carrying post is not refused as expired, and errors
    stay problem+json."""
    member = _logged_in(strict, "mem1")
    answer = member.post("/api/v1/auth/token", data="{", content_type="application/json")
    assert answer.status_code == 400 and answer.mimetype == "application/problem+json"
    assert answer.json["code"] == "api.bad_json"
