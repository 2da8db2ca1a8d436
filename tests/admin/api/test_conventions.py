"""The API's conventions: replayed Idempotency-Keys, cursor paging, ETags, CORS, problem
details for every error (also a mistyped path), and the same object-level authorisation as
the web (another community's demand is not there; a step one may not take is refused)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from admin.api.client import ApiError
from schemas.tables import ApiReplay, Event
from tests.flows.walker import Walker


def _wish(factory, world, title="修灯") -> int:
    return Walker(factory, world).start("res_a", "micro_wish", {"title": title}).demand_id


def test_a_replayed_key_is_answered_once_and_a_reused_key_refused(api, factory, world):
    demand_id = _wish(factory, world)
    admin = api("cadm_a")
    first = admin.step(demand_id, "publish", key="k-1")
    response = admin._send("POST", f"/demands/{demand_id}/steps/publish", json={"values": {}},
                           headers={"Idempotency-Key": "k-1"})
    assert response.json() == first and response.headers["Idempotent-Replayed"] == "true"
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Event).where(
            Event.demand_id == demand_id, Event.step == "publish")) == 1
        assert s.scalar(select(func.count()).select_from(ApiReplay)) == 1
    with pytest.raises(ApiError) as reused:
        admin.post(f"/demands/{demand_id}/steps/reject", {"values": {"reason": "x"}}, key="k-1")
    assert reused.value.status == 422 and reused.value.code == "api.key_reused"
    with pytest.raises(ApiError) as malformed:
        admin.post(f"/demands/{demand_id}/steps/claim", key="no spaces allowed")
    assert malformed.value.code == "api.key_format"
    other = api("cadm_a")  # the same person on another device: keys are the person's
    assert other.step(demand_id, "publish", key="k-1") == first


def test_object_authorisation_as_on_the_web(api, factory, world):
    theirs = Walker(factory, world).start("res_b", "micro_wish", {"title": "站前"}, community="cb").demand_id
    mine = _wish(factory, world)
    with pytest.raises(ApiError) as hidden:
        api("cadm_a").demand(theirs)
    assert hidden.value.status == 404
    with pytest.raises(ApiError) as not_theirs:
        api("cadm_a").step(theirs, "publish")
    assert not_theirs.value.status == 404
    with pytest.raises(ApiError) as unseen:
        api("mem1").step(mine, "claim")  # a wish under review is not shown to members yet
    assert unseen.value.status == 404
    api("cadm_a").step(mine, "publish")
    with pytest.raises(ApiError) as role:
        api("res_a").step(mine, "claim")  # a resident does not claim
    assert role.value.status == 403 and role.value.code == "role"
    with pytest.raises(ApiError) as state:
        api("cadm_a").step(mine, "publish")  # published already
    assert state.value.status == 409 and state.value.code == "state"
    with pytest.raises(ApiError) as nothing:
        api("mem1").start(world["tt_micro_wish"], {"title": "x"})  # a member does not post wishes
    assert nothing.value.status == 404


def test_step_values_are_validated_by_the_workflow(api, factory, world):
    demand_id = _wish(factory, world)
    api("cadm_a").step(demand_id, "publish")
    member = api("mem1", language="en")
    member.step(demand_id, "claim")
    with pytest.raises(ApiError) as bad:
        member.step(demand_id, "serve", {"hours": 99, "note": "x", "extra": 1})
    assert bad.value.status == 422 and set(bad.value.errors) >= {"hours", "extra"}


def test_cursor_paging_and_etags(api, factory, world):
    for n in range(5):  # each published wish tells its resident
        walk = Walker(factory, world)
        walk.start("res_a", "micro_wish", {"title": f"心愿{n}"})
        walk.act("cadm_a", "publish")
    resident = api("res_a")
    first = resident.get("/me/messages", limit=2)
    assert len(first["items"]) == 2 and first["next_cursor"]
    every = list(resident.pages("/me/messages", limit=2))
    assert len(every) == len({m["id"] for m in every}) >= 5
    with pytest.raises(ApiError) as forged:
        resident.get("/me/messages", cursor="!!!")
    assert forged.value.code == "api.cursor"
    response = resident._send("GET", "/me/messages")
    tag = response.headers["ETag"]
    again = resident.http.get("/me/messages", headers={"If-None-Match": tag,
                                                        "Authorization": f"Bearer {resident.tokens['access_token']}"})
    assert again.status_code == 304 and again.content == b""


def test_problems_for_unknown_paths_methods_and_bodies(app):
    web = app.test_client()
    for method, path, status in [("get", "/api/v1/nowhere", 404), ("put", "/api/v1/hall", 405),
                                 ("post", "/api/v1/auth/token", 422)]:
        answer = getattr(web, method)(path, headers={"Accept-Language": "en"})
        assert answer.status_code == status and answer.mimetype == "application/problem+json", path
        assert answer.json["status"] == status and answer.json["detail"]
    bad = web.post("/api/v1/auth/token", json={"username": "", "password": "x", "surprise": 1})
    assert bad.status_code == 422 and set(bad.json["errors"]) == {"username", "surprise"}


def test_cors_only_for_configured_origins(app, monkeypatch):
    monkeypatch.setenv("YIJIA_API_CORS_ORIGINS", '["https://h5.yijia.example"]')
    from schemas.settings import get_settings

    get_settings.cache_clear()
    try:
        web = app.test_client()
        ok = web.options("/api/v1/hall", headers={"Origin": "https://h5.yijia.example",
                                                  "Access-Control-Request-Method": "GET"})
        assert ok.headers["Access-Control-Allow-Origin"] == "https://h5.yijia.example"
        assert "Idempotency-Key" in ok.headers["Access-Control-Allow-Headers"]
        evil = web.get("/api/v1/news", headers={"Origin": "https://evil.example"})
        assert "Access-Control-Allow-Origin" not in evil.headers
    finally:
        get_settings.cache_clear()


def test_a_form_sent_to_a_json_operation_is_415_not_a_500(app, api):
    web = app.test_client()
    token = api("mem1").tokens["access_token"]
    for path in ("/api/v1/auth/token", "/api/v1/auth/refresh", "/api/v1/auth/wechat/bind", "/api/v1/shop/orders"):
        answer = web.post(path, data={"username": "mem1", "password": "x"}, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 415 and answer.json["code"] == "api.media_type", path
    stranger = web.post("/api/v1/shop/orders", data={"item_id": "1"})
    assert stranger.status_code == 401  # the token is checked first, whatever the body
    answer = web.post("/api/v1/uploads", data={"nothing": "here"}, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 422 and answer.json["code"] == "api.upload_missing"  # the upload takes forms


def test_a_replayed_start_still_says_where_the_demand_is(api, world):
    """A start's answer is a 201 with Location; its replay (the phone lost the first answer)
    is the same answer, Location included, and no second demand."""
    resident = api("res_a")
    wish = next(s for s in resident.startables() if s["code"] == "micro_wish")
    sent = {"values": {"title": "修水龙头"}, "community_id": None}
    first = resident._send("POST", f"/start/{wish['task_type_id']}", json=sent, headers={"Idempotency-Key": "s-1"})
    again = resident._send("POST", f"/start/{wish['task_type_id']}", json=sent, headers={"Idempotency-Key": "s-1"})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"] == f"/api/v1/demands/{first.json()['demand_id']}"
    assert again.json() == first.json()
