"""Binding a WeChat user to an account: a bind ticket works once (its id is kept when spent),
unbinding by the owner, and binding by an admin."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from admin.api.client import ApiError
from schemas.tables import User, WeChatTicket
from tests.admin.conftest import PASSWORD


@pytest.fixture
def wechat(monkeypatch, provider):
    for name, value in {"WECHAT_API_URL": provider.url, "WECHAT_APP_ID": "wx-app", "WECHAT_APP_SECRET": "s3"}.items():
        monkeypatch.setenv(f"YIJIA_{name}", value)
    from schemas.settings import get_settings

    get_settings.cache_clear()
    yield provider
    get_settings.cache_clear()


def _ticket(client, code: str) -> str:
    with pytest.raises(ApiError) as unbound:
        client.login_wechat(code)
    assert unbound.value.code == "api.wechat_unbound"
    return unbound.value.errors["ticket"]


def test_a_ticket_binds_once(api, wechat, factory, world):
    client = api()
    ticket = _ticket(client, "c1")
    with pytest.raises(ApiError) as wrong:  # a mistyped password does not spend the ticket
        client.bind_wechat(ticket, "mem1", "nope")
    assert wrong.value.code == "api.credentials"
    client.bind_wechat(ticket, "mem1", PASSWORD)
    for who in ("mem1", "mem2"):  # neither the same account again nor another one
        with pytest.raises(ApiError) as again:
            api().bind_wechat(ticket, who, PASSWORD)
        assert (again.value.status, again.value.code) == (401, "api.wechat_ticket_spent")
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(WeChatTicket)) == 1
        assert s.scalar(select(User.wechat_openid).where(User.id == world["mem1"])) == "o-c1"
        assert s.scalar(select(User.wechat_openid).where(User.id == world["mem2"])) is None


def test_a_refused_binding_does_not_spend_the_ticket(api, wechat, factory, world):
    api().bind_wechat(_ticket(api(), "c1"), "mem1", PASSWORD)
    ticket = _ticket(api(), "c2")
    with pytest.raises(ApiError) as taken:  # mem1 has a WeChat already
        api().bind_wechat(ticket, "mem1", PASSWORD)
    assert taken.value.code == "api.wechat_taken"
    api().bind_wechat(ticket, "mem2", PASSWORD)  # the same ticket still binds another account once
    with factory() as s:
        assert s.scalar(select(User.wechat_openid).where(User.id == world["mem2"])) == "o-c2"
        assert s.scalar(select(func.count()).select_from(WeChatTicket)) == 2


def test_a_ticket_not_signed_here_or_expired(api, wechat, monkeypatch):
    from flows.people import wechat_login

    ticket = _ticket(api(), "c1")
    with pytest.raises(ApiError) as forged:
        api().bind_wechat(ticket[:-2] + ("AA" if not ticket.endswith("AA") else "BB"), "mem1", PASSWORD)
    assert (forged.value.status, forged.value.code) == (401, "api.wechat_ticket")
    monkeypatch.setattr(wechat_login, "TICKET_SECONDS", -1)
    with pytest.raises(ApiError) as late:
        api().bind_wechat(ticket, "mem1", PASSWORD)
    assert (late.value.status, late.value.code) == (401, "api.wechat_ticket")


def test_unbinding_ends_the_wechat_log_ins_only(api, wechat, factory, world):
    from schemas.tables import AppToken, Event

    by_wechat = api()
    by_wechat.bind_wechat(_ticket(by_wechat, "c1"), "mem1", PASSWORD)
    by_password = api("mem1")
    key = "unbind-1"
    by_password.delete("/me/wechat", key=key)
    with pytest.raises(ApiError) as ended:  # the WeChat device session is over
        by_wechat.me()
    assert ended.value.status == 401
    assert by_password.me()["wechat_bound"] is False
    by_password.delete("/me/wechat", key=key)  # replayed: the kept answer
    by_password.unbind_wechat()  # nothing bound: 204 all the same
    with factory() as s:
        assert s.scalar(select(User.wechat_openid).where(User.id == world["mem1"])) is None
        assert s.scalars(select(AppToken.via).where(AppToken.user_id == world["mem1"])).all() == ["password"]
        steps = s.execute(select(Event.step, Event.actor_id, Event.data).where(
            Event.subject == "users", Event.subject_id == world["mem1"], Event.step.like("wechat_%"))
            .order_by(Event.id)).all()
    assert [(step, actor) for step, actor, _ in steps] == [("wechat_bind", world["mem1"]),
                                                          ("wechat_unbind", world["mem1"])]
    assert steps[1][2] == {"devices_ended": 1}
    with pytest.raises(ApiError) as unbound:  # the code logs in no more
        api().login_wechat("c1")
    assert unbound.value.code == "api.wechat_unbound"
    with pytest.raises(ApiError) as anonymous:
        api().unbind_wechat()
    assert anonymous.value.status == 401
