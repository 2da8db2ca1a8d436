"""Binding a WeChat user to an account: a bind ticket works once (its id is kept when spent),
unbinding by the owner, and binding by an admin."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from admin.api.client import ApiError
from schemas.tables import User, WeChatTicket
from tests.admin.conftest import PASSWORD


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


def _unbound(api, code: str) -> tuple[str, str]:
    with pytest.raises(ApiError) as unbound:
        api().login_wechat(code)
    return unbound.value.errors["ticket"], unbound.value.errors["code"]


def test_a_community_admin_binds_by_the_code_the_person_reads_out(api, wechat, login, factory, world):
    from schemas.tables import Event, WeChatBindCode

    ticket, code = _unbound(api, "c1")
    assert len(code) == 8 and code.isalnum() and code.upper() == code
    admin = login("cadm_a")
    page = admin.get("/manage/accounts")
    assert "绑定码" in page.get_data(as_text=True)
    outside = login("cadm_b").post("/manage/accounts", data={"username": "res_a", "code": code,
                                                              "action": "wechat_bind"})
    assert outside.status_code == 400  # not cadm_b's resident: the code is not spent on it
    wrong = admin.post("/manage/accounts", data={"username": "res_a", "code": "ABCD2345", "action": "wechat_bind"})
    assert wrong.status_code == 400 and "绑定码不对" in wrong.get_data(as_text=True)
    done = admin.post("/manage/accounts", data={"username": "res_a", "code": f" {code[:4].lower()} {code[4:]} ",
                                                "action": "wechat_bind"}, follow_redirects=True)
    assert done.status_code == 200 and "已为 res_a 绑定微信" in done.get_data(as_text=True)
    with factory() as s:
        assert s.scalar(select(User.wechat_openid).where(User.id == world["res_a"])) == "o-c1"
        assert s.scalar(select(func.count()).select_from(WeChatBindCode)) == 0
        assert s.execute(select(Event.step, Event.actor_id).where(
            Event.subject == "users", Event.subject_id == world["res_a"], Event.step == "wechat_bind")).all() == [
            ("wechat_bind", world["cadm_a"])]
    again = admin.post("/manage/accounts", data={"username": "res_a2", "code": code, "action": "wechat_bind"})
    assert again.status_code == 400  # once
    with pytest.raises(ApiError) as spent:  # the ticket of the same code is spent with it
        api().bind_wechat(ticket, "res_a2", PASSWORD)
    assert spent.value.code == "api.wechat_ticket_spent"
    assert api().login_wechat("c1") and api("res_a").me()["wechat_bound"] is True


def test_a_code_whose_ticket_was_used_or_is_old_binds_nothing(api, wechat, login, factory, world, monkeypatch):
    from flows.people import wechat_login

    ticket, code = _unbound(api, "c1")
    api().bind_wechat(ticket, "mem1", PASSWORD)  # the person bound by password after all
    admin = login("cadm_a")
    used = admin.post("/manage/accounts", data={"username": "res_a", "code": code, "action": "wechat_bind"})
    assert used.status_code == 400 and "绑定码不对" in used.get_data(as_text=True)
    _, late = _unbound(api, "c2")
    monkeypatch.setattr(wechat_login, "TICKET_SECONDS", -1)
    old = admin.post("/manage/accounts", data={"username": "res_a", "code": late, "action": "wechat_bind"})
    assert old.status_code == 400
    with factory() as s:
        assert s.scalar(select(User.wechat_openid).where(User.id == world["res_a"])) is None


def test_binding_to_a_temporary_password_or_too_many_wrong_ones_is_refused(app, api, wechat, factory, world):
    """The bind is a password log-in: a temporary password must be changed first (403, the
    ticket unspent), and wrong passwords are throttled as on the log-in page (429)."""
    from sqlalchemy import update

    with factory() as s:
        s.execute(update(User).where(User.id == world["mem1"]).values(must_change_password=True))
        s.commit()
    ticket = _ticket(api(), "c1")
    with pytest.raises(ApiError) as temporary:
        api().bind_wechat(ticket, "mem1", PASSWORD)
    assert (temporary.value.status, temporary.value.code) == (403, "api.password_change")
    app.extensions["yijia.throttle"].client_failures[:] = __import__("limits").parse_many("2/minute")
    for _ in range(2):
        with pytest.raises(ApiError) as wrong:
            api().bind_wechat(ticket, "mem2", "nope")
        assert wrong.value.status == 401
    with pytest.raises(ApiError) as throttled:
        api().bind_wechat(ticket, "mem2", PASSWORD)
    assert (throttled.value.status, throttled.value.code) == (429, "api.throttled")
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(WeChatTicket)) == 0  # never spent
