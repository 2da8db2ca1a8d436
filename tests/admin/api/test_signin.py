"""Log-in for apps: tokens, refresh rotation and reuse, devices, log-out, and what the API
refuses (a cookie, a wrong password in two languages, a temporary password, throttling)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from admin.api.client import ApiError
from flows.people import passwords
from schemas.tables import AppToken, User
from tests.admin.conftest import PASSWORD


def test_wrong_password_is_a_problem_in_the_readers_language(api):
    with pytest.raises(ApiError) as zh:
        api().login("mem1", "nope")
    assert zh.value.status == 401 and zh.value.code == "api.credentials" and zh.value.detail == "用户名或密码错误"
    assert zh.value.problem["type"].endswith("/api/credentials")
    with pytest.raises(ApiError) as en:
        api(language="en").login("mem1", "nope")
    assert en.value.code == "api.credentials" and en.value.detail == "Wrong user name or password"


def test_failed_logins_are_throttled_per_client(app, api):
    app.extensions["yijia.throttle"].client_failures[:] = __import__("limits").parse_many("2/minute")
    client = api()
    for _ in range(2):
        with pytest.raises(ApiError):
            client.login("mem1", "nope")
    with pytest.raises(ApiError) as third:
        client.login("mem1", PASSWORD)  # even the right password waits
    assert third.value.status == 429 and third.value.code == "api.throttled"


def test_refresh_rotates_and_a_spent_token_used_again_ends_the_device(api, factory):
    client = api("mem1")
    first = dict(client.tokens)
    second = client.refresh()
    assert second["access_token"] != first["access_token"] and second["refresh_token"] != first["refresh_token"]
    assert client.me()["username"] == "mem1"
    thief = api()
    thief.tokens = first
    with pytest.raises(ApiError) as reused:
        thief.refresh()
    assert reused.value.code == "api.token_reused"
    with pytest.raises(ApiError) as ended:  # the owner's live pair went with it
        client.get("/me/devices")
    assert ended.value.status == 401
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(AppToken)) == 0


def test_devices_listed_and_ended_and_logout(api):
    phone, pad = api("mem1"), api("mem1")
    listed = phone.get("/me/devices")["items"]
    assert len(listed) == 2 and sum(d["current"] for d in listed) == 1
    other = next(d for d in listed if not d["current"])
    phone._send("DELETE", f"/me/devices/{other['id']}")
    with pytest.raises(ApiError) as ended:  # its access token, and its refresh token, are dead
        pad.me()
    assert ended.value.status == 401
    with pytest.raises(ApiError) as foreign:  # someone else's device: as if it did not exist
        mine = next(d for d in listed if d["current"])
        api("res_a")._send("DELETE", f"/me/devices/{mine['id']}")
    assert foreign.value.status == 404
    phone.logout()
    with pytest.raises(ApiError) as out:
        phone.me()
    assert out.value.status == 401 and out.value.code == "api.unauthenticated"


def test_a_web_cookie_opens_nothing_and_a_password_change_ends_app_sessions(login, api, factory, world):
    web = login("mem1")
    answer = web.get("/api/v1/me")
    assert answer.status_code == 401 and answer.mimetype == "application/problem+json"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    app_client = api("mem1")
    with factory() as s:
        passwords.change_password(s, world["mem1"], PASSWORD, "a-new-pass-987654", None)
    with pytest.raises(ApiError) as gone:
        app_client.me()
    assert gone.value.status == 401


def test_a_temporary_password_must_be_changed_on_the_web_first(api, factory, world):
    with factory() as s, s.begin():
        s.execute(update(User).where(User.id == world["mem1"]).values(must_change_password=True))
    with pytest.raises(ApiError) as first:
        api("mem1")
    assert first.value.status == 403 and first.value.code == "api.password_change"


def test_an_access_token_expires_keeps_its_idle_clock_and_ends_with_its_user(api, factory, world):
    """The token is judged in the statement that reads the caller's roles: its expiry, its
    user's state, and `seen_at` written at most once a minute."""
    from datetime import timedelta

    from schemas.clock import utcnow

    client = api("mem1")
    recent = utcnow() - timedelta(seconds=30)
    with factory() as s, s.begin():
        s.execute(update(AppToken).values(seen_at=recent))
    assert client.me()["username"] == "mem1"
    with factory() as s:
        assert s.scalar(select(AppToken.seen_at)) == recent  # not written again within the minute
    with factory() as s, s.begin():
        s.execute(update(AppToken).values(seen_at=utcnow() - timedelta(seconds=90)))
    client.me()
    with factory() as s:
        assert s.scalar(select(AppToken.seen_at)) > utcnow() - timedelta(seconds=30)
    with factory() as s, s.begin():
        s.execute(update(AppToken).values(access_expires_at=utcnow() - timedelta(seconds=1)))
    stale = client.tokens["access_token"]
    assert client.me()["username"] == "mem1"  # after a 401 the client refreshed once
    assert client.tokens["access_token"] != stale
    with pytest.raises(ApiError) as expired:
        api()._send("GET", "/me", headers={"Authorization": f"Bearer {stale}"})
    assert expired.value.status == 401 and expired.value.code == "api.unauthenticated"
    with factory() as s, s.begin():
        s.execute(update(User).where(User.id == world["mem1"]).values(is_active=False))
    with pytest.raises(ApiError) as gone:
        client.me()
    assert gone.value.status == 401
