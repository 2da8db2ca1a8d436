"""WeChat log-in against a stand-in of WeChat's code-to-session endpoint: an unbound WeChat
user binds once by password, then the code alone logs in; WeChat's errors become problems."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from admin.api.client import ApiError
from schemas.tables import User
from tests.admin.conftest import PASSWORD


def test_bind_once_then_the_code_logs_in(api, wechat, factory, world):
    client = api()
    with pytest.raises(ApiError) as unbound:
        client.login_wechat("c1")
    assert unbound.value.status == 401 and unbound.value.code == "api.wechat_unbound"
    sent = wechat.requests[-1]
    assert sent["path"] == "/sns/jscode2session" and sent["query"]["appid"] == ["wx-app"]
    assert sent["query"]["js_code"] == ["c1"] and sent["query"]["grant_type"] == ["authorization_code"]
    ticket = unbound.value.errors["ticket"]
    with pytest.raises(ApiError) as wrong:
        client.bind_wechat(ticket, "mem1", "nope")
    assert wrong.value.code == "api.credentials"
    client.bind_wechat(ticket, "mem1", PASSWORD)
    assert client.me()["wechat_bound"] is True
    again = api()
    again.login_wechat("c1")  # the stand-in answers the same openid
    assert again.me()["username"] == "mem1"
    assert [d["via"] for d in again.get("/me/devices")["items"]] == ["wechat", "wechat"]
    with factory() as s:
        assert s.scalar(select(User.wechat_openid).where(User.id == world["mem1"])) == "o-c1"
    other = api()
    with pytest.raises(ApiError) as taken:  # another account cannot take the same WeChat user
        with pytest.raises(ApiError) as fresh:
            other.login_wechat("c9")
        other.bind_wechat(fresh.value.errors["ticket"], "mem1", PASSWORD)  # mem1 already has a WeChat
    assert taken.value.status == 409 and taken.value.code == "api.wechat_taken"


@pytest.mark.parametrize(("code", "status", "problem"), [
    ("err40029", 401, "api.wechat_code"), ("err45011", 429, "api.wechat_busy"),
    ("err40226", 403, "api.wechat_blocked"), ("err-1", 503, "api.wechat_unavailable"),
    ("down", 503, "api.wechat_unavailable")])
def test_wechat_errors_are_problems(api, wechat, code, status, problem):
    with pytest.raises(ApiError) as refused:
        api(language="en").login_wechat(code)
    assert (refused.value.status, refused.value.code) == (status, problem)
    assert refused.value.detail and not any("\u4e00" <= ch <= "\u9fff" for ch in refused.value.detail)


def test_a_forged_ticket_and_wechat_switched_off(api, wechat, monkeypatch):
    with pytest.raises(ApiError) as forged:
        api().bind_wechat("o-someone-else", "mem1", PASSWORD)
    assert forged.value.code == "api.wechat_ticket"
    monkeypatch.setenv("YIJIA_WECHAT_API_URL", "")
    from schemas.settings import get_settings

    get_settings.cache_clear()
    with pytest.raises(ApiError) as off:
        api().login_wechat("c1")
    assert off.value.code == "api.wechat_off"
