"""Defects found by probing the API as an attacker, a district admin and an app developer
would: each test failed before its fix."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from admin.api.client import ApiError
from schemas.tables import Demand, User
from tests.admin.conftest import PASSWORD

TOO_BIG = 99999999999999999999  # more than any id column holds


def _bearer(client) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.tokens['access_token']}"}


def _open_wish(api, world) -> int:
    resident, admin = api("res_a"), api("cadm_a")
    demand_id = resident.start(world["tt_micro_wish"], {"title": "帮忙换灯泡"})["demand_id"]
    admin.step(demand_id, "publish")
    return demand_id


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/demands/{n}"), ("POST", "/demands/{n}/steps/claim"), ("POST", "/me/messages/{n}/read"),
    ("POST", "/slots/{n}/book"), ("POST", "/approvals/member/{n}"), ("DELETE", "/me/devices/{n}"),
    ("POST", "/start/{n}")])
def test_an_id_too_large_for_the_database_is_a_404_not_a_500(api, method, path):
    """`<int:…>` let any number through to the database (SQLite: OverflowError; PostgreSQL:
    integer out of range), a 500; the web's `<id:…>` answers 404."""
    client = api("res_a")
    answer = client.http.request(method, path.format(n=TOO_BIG), headers=_bearer(client), json={})
    assert answer.status_code == 404
    assert answer.headers["Content-Type"] == "application/problem+json"


def test_a_body_that_is_not_json_is_refused_not_a_500(api, world):
    """Spectree skips a form-encoded body: the view got `json=None` and failed (500)."""
    client = api("res_a")
    answer = client.http.post(f"/start/{world['tt_micro_wish']}", headers=_bearer(client),
                              data={"values": "title=x"})
    assert answer.status_code == 415 and answer.json()["code"] == "api.media_type"
    assert answer.headers["Content-Type"] == "application/problem+json"


def test_malformed_json_does_not_take_the_step_with_empty_values(api, world, factory):
    """Spectree read malformed JSON as `{}`: a truncated body claimed the demand."""
    demand_id = _open_wish(api, world)
    member = api("mem1")
    answer = member.http.post(f"/demands/{demand_id}/steps/claim", headers={
        **_bearer(member), "Content-Type": "application/json"}, content=b'{"values": {"note": "')
    assert answer.status_code == 400 and answer.json()["code"] == "api.bad_json"
    with factory() as s:
        assert s.get(Demand, demand_id).state == "open"


def test_a_nul_character_in_json_is_refused_as_on_the_web(api, world, factory):
    """The web refuses NUL in every form (admin/params.py); the API stored it (SQLite cuts the
    text there, PostgreSQL refuses it with a 500)."""
    resident = api("res_a")
    with pytest.raises(ApiError) as refused:
        resident.start(world["tt_micro_wish"], {"title": "换灯\x00泡"})
    assert refused.value.status == 400 and refused.value.code == "api.nul"
    with factory() as s:
        assert s.scalar(select(Demand.id).where(Demand.title.like("换灯%"))) is None


def test_token_answers_are_never_cached(api):
    """A token answer must carry `Cache-Control: no-store` (RFC 6749 §5.1): a cache keeping it
    keeps a live refresh token."""
    client = api()
    answer = client.http.post("/auth/token", json={"username": "mem1", "password": PASSWORD})
    assert answer.status_code == 200 and answer.headers.get("Cache-Control") == "no-store"
    refreshed = client.http.post("/auth/refresh", json={"refresh_token": answer.json()["refresh_token"]})
    assert refreshed.status_code == 200 and refreshed.headers.get("Cache-Control") == "no-store"


def test_an_upload_over_5_mb_is_a_413_as_the_document_says(api):
    """Between 5 and 8 MB the answer was a 422, over 8 MB a 413: one limit, one status."""
    client = api("mem1")
    with pytest.raises(ApiError) as refused:
        client.upload(b"\x89PNG\r\n\x1a\n" + b"0" * (6 * 1024 * 1024), "big.png", "image/png")
    assert refused.value.status == 413 and refused.value.code == "storage.too_large"


def test_wechat_log_ins_that_work_are_not_throttled_nor_spend_the_sign_up_budget(api, wechat, factory, world,
                                                                               app):
    """Every WeChat log-in spent the client's sign-up budget (5 a minute): the sixth person on a
    community centre's Wi-Fi was refused, and so was anyone signing up on the website there."""
    with factory() as s, s.begin():
        s.get(User, world["mem1"]).wechat_openid = "o-c1"
    for _ in range(7):
        assert api().login_wechat("c1")["access_token"]
    page = app.test_client().post("/signup", data={})
    assert page.status_code != 429


def test_a_database_bug_in_the_api_is_logged_not_swallowed(api, monkeypatch, caplog):
    """The web re-raises a database error that is not an outage, so it takes the 500 path and
    is logged; the API's wrapper of that handler answered the 500 and logged nothing."""
    from sqlalchemy.exc import IntegrityError

    from flows.notices import inbox

    client = api("mem1")

    def broken(*_args, **_kwargs):
        raise IntegrityError("INSERT …", {}, Exception("a constraint"))

    monkeypatch.setattr(inbox, "unread_count", broken)
    with caplog.at_level("ERROR"):
        answer = client.http.get("/me", headers=_bearer(client))
    assert answer.status_code == 500 and answer.json()["code"] == "api.error"
    assert any(r.levelname == "ERROR" and r.exc_info for r in caplog.records)


def test_erasing_a_person_removes_their_app_devices_and_kept_answers(api, world, factory):
    """Erasure removed the web's sessions but left the app's: the device names people type
    ("张三的 iPhone"), when they were used, and the kept Idempotency answers (order pickup
    codes, outcomes) of someone who asked to be forgotten."""
    from flows.people import erasure
    from schemas.tables import ApiReplay, AppToken

    resident = api()
    resident.device = "王秀英的 iPhone"
    resident.login("res_a", PASSWORD)
    resident.start(world["tt_micro_wish"], {"title": "帮忙换灯泡"}, key="tap-1")
    with factory() as s:
        assert s.scalars(select(ApiReplay).where(ApiReplay.key == f"{world['res_a']}:tap-1")).all()
        erasure.erase(s, "res_a")
    with factory() as s:
        assert not s.scalars(select(AppToken).where(AppToken.user_id == world["res_a"])).all()
        assert not s.scalars(select(ApiReplay).where(ApiReplay.key.startswith(f"{world['res_a']}:"))).all()


def test_a_proof_photo_must_be_an_upload_not_a_made_up_key(api, world, factory):
    """The engine checks an image value's form only (the web stores the file itself and hands
    over its key); over the API the app sends the key, so a made-up one stood as the proof photo
    of a service nobody photographed."""
    from schemas.tables import ServiceRecord

    demand_id = _open_wish(api, world)
    member = api("mem1")
    member.step(demand_id, "claim")
    with pytest.raises(ApiError) as refused:
        member.step(demand_id, "serve", {"hours": 2, "note": "换好了", "photo": "0" * 32 + ".jpg"})
    assert refused.value.status == 422 and "photo" in refused.value.errors
    with factory() as s:
        assert s.scalar(select(ServiceRecord.proof).where(ServiceRecord.demand_id == demand_id)) is None
    photo = member.upload(b"\x89PNG\r\n\x1a\n" + b"0" * 64, "proof.png", "image/png")
    assert member.step(demand_id, "serve", {"hours": 2, "note": "换好了", "photo": photo})["to_state"]


def test_every_api_answer_varies_by_origin_when_cors_is_on(app, monkeypatch):
    """`Vary: Origin` was added only when the origin was allowed: a cache could keep the answer
    without `Access-Control-Allow-Origin` (asked from elsewhere, or by a link) and serve it to
    the configured front end, which then fails; every answer must say it depends on Origin."""
    monkeypatch.setenv("YIJIA_API_CORS_ORIGINS", '["https://h5.yijia.example"]')
    from schemas.settings import get_settings

    get_settings.cache_clear()
    try:
        web = app.test_client()
        assert "Origin" in web.get("/api/v1/news").headers.get("Vary", "")
        assert "Origin" in web.get("/api/v1/news", headers={"Origin": "https://evil.example"}).headers.get("Vary", "")
    finally:
        get_settings.cache_clear()
