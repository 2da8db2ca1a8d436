"""Review probes (#19): community-owned resources, the holder relation and the 发布 form's
suggestions, from each side."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from flows import engine
from schemas.tables import Demand, Resource
from tests.flows.sharing.shared import add_community_room, add_sharing, local, request


@pytest.fixture
def shared(factory, world):
    world = add_sharing(factory, world)
    add_community_room(factory, world)
    return world


def _ask(factory, world, resource, user="res_a", hour=10):
    with factory() as s:
        return engine.start(s, world[user], world["tt_resource"], request(local(3, hour), local(3, hour + 1)),
                            resource_id=world[resource], now=local(1, 9)).demand_id


@pytest.mark.parametrize("query", [
    "starts_at=0001-01-01T00:00&ends_at=0001-01-01T01:00",
    "starts_at=9999-12-31T22:00&ends_at=9999-12-31T23:59",
    "starts_at=2030-12-02T10:00&ends_at=2030-12-02T11:00&community_id=abc",
    "starts_at=2030-12-02T10:00&ends_at=2030-12-02T11:00&community_id=99999999999999",
    "starts_at=2030-12-02T10:00&ends_at=2030-12-02T11:00&capacity=-3",
    "starts_at=2030-12-02T10:00&ends_at=2030-12-02T11:00&capacity=1e9",
    "starts_at=2030-12-02T10:00%2B05:00&ends_at=2030-12-02T11:00Z",
    "starts_at=2030-12-02&ends_at=2030-12-03",
    "starts_at=x&ends_at=y",
    "starts_at=2030-12-02T10:00&ends_at=2030-12-02T11:00&community_id=1",
])
def test_suggestions_never_500(login, shared, query):
    got = login("cadm_a").get(f"/resources/suggestions?{query}")
    assert got.status_code in (200, 400), got.status_code


def test_suggestions_city_as_community(login, shared):
    got = login("cadm_a").get(f"/resources/suggestions?starts_at=2030-12-02T10:00&ends_at=2030-12-02T11:00"
                              f"&community_id={shared['city']}")
    assert got.status_code == 200


def test_place_tampering(login, factory, shared):
    admin = login("cadm_a")
    for place in (f":{shared['cb']}", f"0:{shared['ca']}", f" :{shared['ca']}", f"{shared['org2']}:{shared['ca']}",
                  f"{shared['org1']}:{shared['ca']}", ":", f"::{shared['ca']}"):
        assert admin.post("/my/resources/new", data={"name": "x", "place": place}).status_code == 404, place
    assert login("orgadm1").post("/my/resources/new", data={"name": "x", "place": f":{shared['ca']}"}).status_code == 404
    with factory() as s:
        assert s.scalar(select(Resource).where(Resource.name == "x")) is None


def test_web_step_forms(login, factory, shared):
    org_held = _ask(factory, shared, "room")
    community_held = _ask(factory, shared, "hall", hour=14)
    for user, demand in (("cadm_a", org_held), ("orgadm1", community_held), ("cadm_b", community_held),
                         ("dadm1", org_held), ("cityadm", org_held)):
        client = login(user)
        client.post(f"/d/{demand}/step/approve", data={})
        with factory() as s:
            assert s.get(Demand, demand).state == "requested", (user, demand)
    for user in ("dadm1", "cityadm", "cadm_a"):
        page = login(user).get(f"/d/{community_held}").get_data(as_text=True)
        assert "/step/approve" in page, user


def test_pages_render(login, shared):
    for user in ("cadm_a", "dadm1", "cityadm", "orgadm1", "res_a", "mem1"):
        client = login(user)
        for url in ("/my/resources", f"/communities/{shared['ca']}/matrix", "/resources", "/me", "/",
                    f"/resources/{shared['hall']}", f"/my/resources/{shared['hall']}", "/queue"):
            assert client.get(url).status_code in (200, 302, 404), (user, url)


def test_console_community_resource_scoped(login, factory, shared):
    from tests.admin.test_console import tokens

    client = login("cadm_a")
    csrf = tokens(client, "/admin/resource/")
    for community in ("cb", "ca"):
        client.post("/admin/resource/new/", data={**csrf, "name": f"控制台{community}", "kind": "room",
                                                  "community_id": str(shared[community]), "org_id": "",
                                                  "directory_entry_id": ""})
    with factory() as s:
        made = {r.name: (r.community_id, r.org_id) for r in s.scalars(select(Resource).where(Resource.name.like("控制台%")))}
    assert "控制台cb" not in made
    assert made.get("控制台ca") == (shared["ca"], None)
    # an org admin's 我的资源 does not list it; the community admin's does
    assert "控制台ca" not in login("orgadm1").get("/my/resources").get_data(as_text=True)
    assert "控制台ca" in client.get("/my/resources").get_data(as_text=True)
    assert "控制台ca" not in login("cadm_b").get("/my/resources").get_data(as_text=True)


def test_queue_shows_only_what_the_admin_may_answer(login, factory, shared):
    from flows.engine import queue
    from flows.people.actors import load_actor

    org_held = _ask(factory, shared, "room")
    community_held = _ask(factory, shared, "hall", hour=14)
    with factory() as s:
        for user, expected in (("cadm_a", [community_held]), ("dadm1", [community_held]),
                               ("cityadm", [community_held]), ("cadm_b", [])):
            waiting, total = queue.waiting(s, load_actor(s, shared[user]))
            assert [w.demand.id for w in waiting] == expected and total == len(expected), user
            assert all(w.steps for w in waiting)
    page = login("cadm_a").get("/queue").get_data(as_text=True)
    assert f"/d/{community_held}" in page and f"/d/{org_held}" not in page
