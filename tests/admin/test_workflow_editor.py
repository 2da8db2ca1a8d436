"""The workflow editor per district line, and an editor no text can break."""
from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from schemas.settings import ROOT
from schemas.tables import Demand, WorkflowVersion
from tests.admin.test_console import token
from tests.flows.walker import Walker
from tests.flows.workflow.test_compiler import ODD, SHIPPED, _paths, _replace

MICRO_WISH = (ROOT / "workflows" / "micro_wish.yaml").read_text("utf-8")
FASTER = MICRO_WISH.replace("sla: {within: 2d, then: escalate}", "sla: {within: 1d, then: escalate}")


def _versions(factory):
    with factory() as s:
        return [(v.version, v.district_id) for v in s.scalars(select(WorkflowVersion).where(
            WorkflowVersion.workflow_id == "micro_wish").order_by(WorkflowVersion.version))]


def test_a_district_admin_publishes_in_their_line_only(login, world, factory):
    client = login("dadm1")
    url = "/admin/workflows/edit/micro_wish"
    page = client.get(url).get_data(as_text=True)
    assert "伊美区 · v1（跟随全市模板）" in page and 'id="publish"' in page
    client.post(url, data={"csrf_token": token(client, url), "source": FASTER, "do": "publish", "note": "审核一天"})
    assert _versions(factory) == [(1, None), (2, world["d1"])]
    mine, theirs = Walker(factory, world), Walker(factory, world)
    mine.start("res_a", "micro_wish", {"title": "伊美区的心愿"})
    theirs.start("res_b", "micro_wish", {"title": "铁力市的心愿"}, community="cb")
    with factory() as s:
        assert s.get(Demand, mine.demand_id).workflow_version == 2
        assert s.get(Demand, theirs.demand_id).workflow_version == 1
    # another district's line is not theirs to see; the city's templates they may read, not publish
    assert client.get(f"{url}?district={world['d2']}").status_code == 404
    assert client.get(f"{url}?district=abc").status_code == 400
    template = client.get(f"{url}?district=").get_data(as_text=True)
    assert "全市模板 · v1" in template and 'id="publish"' not in template
    assert client.post(f"{url}?district=", data={"csrf_token": token(client, url), "source": FASTER,
                                                "do": "publish"}).status_code == 403
    history = client.get("/admin/workflows/history/micro_wish").get_data(as_text=True)
    assert "v2" in history and "-    sla: {within: 2d" in history and "+    sla: {within: 1d" in history


def test_a_community_admin_reads_their_line(login, world, factory):
    client = login("cadm_a")
    url = "/admin/workflows/edit/micro_wish"
    page = client.get(url).get_data(as_text=True)
    assert "伊美区" in page and 'id="publish"' not in page and 'id="adopt"' not in page
    assert client.post(url, data={"csrf_token": token(client, url), "source": FASTER,
                                  "do": "publish"}).status_code == 403
    assert client.post("/admin/workflows/adopt/micro_wish/1", data={"csrf_token": token(client, url)}).status_code == 403
    assert client.get(f"{url}?district={world['d2']}").status_code == 404
    assert _versions(factory) == [(1, None)]


def test_the_city_admin_edits_every_line_and_districts_adopt(login, world, factory):
    city = login("cityadm")
    url = "/admin/workflows/edit/micro_wish"
    listing = city.get("/admin/workflows/").get_data(as_text=True)
    assert "全市模板" in listing and "伊美区" in listing and "铁力市" in listing
    city.post(f"{url}?district={world['d2']}", data={"csrf_token": token(city, url), "source": FASTER,
                                                     "do": "publish"})
    assert _versions(factory) == [(1, None), (2, world["d2"])]
    city.post(url, data={"csrf_token": token(city, url), "source": MICRO_WISH.replace("title: 微心愿\n", "title: 心愿\n", 1),
                         "do": "publish"})  # a new template
    assert _versions(factory)[-1] == (3, None)
    district = login("dadm1")  # 伊美区 adopts template v3 as is: later templates no longer reach it
    district.post("/admin/workflows/adopt/micro_wish/3", data={"csrf_token": token(district, url)})
    assert _versions(factory)[-1] == (4, world["d1"])
    assert district.post("/admin/workflows/adopt/micro_wish/2",  # another district's version: never
                         data={"csrf_token": token(district, url)}).status_code == 404
    assert district.post("/admin/workflows/rollback/micro_wish/2",
                         data={"csrf_token": token(district, url)}).status_code == 404
    history = district.get("/admin/workflows/history/micro_wish").get_data(as_text=True)
    assert "采用全市模板 v3" in history


def test_dry_run_in_a_copy_of_the_district_shows_path_points_and_parties(login, world):
    client = login("dadm1")
    url = "/admin/workflows/edit/micro_wish"
    source = MICRO_WISH.replace("""  publish:
    title: 审核发布
    by: community_admin""", """  publish:
    title: 审核发布
    by: district_admin""")
    page = client.post(url, data={"csrf_token": token(client, url), "source": source, "do": "dryrun"})
    text = page.get_data(as_text=True)
    assert "试运行 ✓ 通过" in text and "在 伊美区 的副本中" in text
    assert "审核发布（区县管理员）待审核 → 待认领" in text and "党员 14" in text
    english = client.post(f"{url}?lang=en", data={"csrf_token": token(client, url), "source": source,
                                                  "do": "dryrun"}).get_data(as_text=True)
    assert "district admin" in english.lower()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(st.sampled_from(sorted(SHIPPED)), st.data())
def test_no_text_breaks_the_editor(login, world, name, data):
    """Live validation and the editor's preview answer any text (mutated workflows, random
    text) with problems or a diagram: never a 500, never "no errors" for a broken text."""
    import json

    import yaml

    client = login("dadm1")
    spec = SHIPPED[name]
    for _ in range(data.draw(st.integers(0, 3))):
        spec = _replace(spec, data.draw(st.sampled_from(list(_paths(spec)))), data.draw(ODD))
    try:
        source = data.draw(st.one_of(st.just(yaml.safe_dump(spec, allow_unicode=True)), st.just(json.dumps(spec)),
                                     st.text(max_size=200)))
    except (ValueError, TypeError, yaml.YAMLError):
        return
    if "\x00" in source or re.search("[\ud800-\udfff]", source):
        return  # a browser cannot post these as form text
    live = client.post("/admin/workflows/validate", data={"source": source})
    assert live.status_code == 200
    problems = live.json["problems"]
    assert all(p["line"] >= 1 and p["column"] >= 1 and p["message"] for p in problems)
    url = f"/admin/workflows/edit/{name}"
    page = client.post(url, data={"source": source, "do": "preview"})
    assert page.status_code == 200
    if problems:  # the same problems on the page as in the live panel
        assert page.get_data(as_text=True).count('class="alert alert-danger py-1 mb-1 problem"') == len(problems)


# The tester's attack: a district's own micro_wish paying 5,000 points an hour for up to 1,000 hours.
GREEDY = (MICRO_WISH.replace("per_hour: 2, by_rating: {1: 0, 2: 0.5, 3: 0.8, 4: 1, 5: 1.2}",
                             "per_hour: 5000, by_rating: {1: 0, 2: 0.5, 3: 0.8, 4: 1, 5: 10}")
          .replace("min: 0.5, max: 12}", "min: 0.5, max: 1000}"))


def test_a_districts_workflow_keeps_the_citys_point_bounds(login, world, factory):
    """The bounds a task type's fields are held to hold for the workflow file too: the editor
    points at each number over them (line and column), and nothing is published."""
    assert GREEDY != MICRO_WISH and "max: 1000" in GREEDY
    client = login("dadm1")
    url = "/admin/workflows/edit/micro_wish"
    problems = client.post("/admin/workflows/validate", data={"csrf_token": token(client, url),
                                                               "source": GREEDY}).json["problems"]
    lines = GREEDY.splitlines()
    said = {(p["line"], p["message"]) for p in problems}
    per_hour_line = next(i for i, text in enumerate(lines, 1) if "per_hour: 5000" in text)
    hours_line = next(i for i, text in enumerate(lines, 1) if "max: 1000" in text)
    assert (per_hour_line, "每小时积分 5000 超过了市里设定的上限 20") in said
    assert (per_hour_line, "5 星的评分倍数 10 超过了市里设定的上限 2") in said
    assert any(line == hours_line and "不能超过 24 小时" in message for line, message in said), problems
    assert all(p["column"] > 1 for p in problems)
    client.post(url, data={"csrf_token": token(client, url), "source": GREEDY, "do": "publish"})
    assert _versions(factory) == [(1, None)]
    # the city's own templates are held to them as well, and a tighter city bound is read at once
    city = login("cityadm")
    assert city.post("/admin/workflows/edit/micro_wish?district=", data={
        "csrf_token": token(city, url), "source": GREEDY, "do": "publish"}).status_code in (200, 302)
    assert _versions(factory) == [(1, None)]


def test_a_districts_history_before_its_first_version_lists_the_citys_templates(login, world, factory):
    """历史 of a district that has not published its own version yet was a 500 (the walk): it
    lists the city's templates, each at its time in Beijing (it showed UTC)."""
    from schemas.clock import LOCAL_TZ

    district = login("dadm1")
    page = district.get(f"/admin/workflows/history/micro_wish?district={world['d1']}")
    assert page.status_code == 200
    with factory() as s:
        first = s.scalar(select(WorkflowVersion).where(WorkflowVersion.workflow_id == "micro_wish")
                         .order_by(WorkflowVersion.version))
        assert first is not None and first.district_id is None
        stamp = first.created_at
    local = stamp.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    assert f"v{first.version}" in page.get_data(as_text=True) and local in page.get_data(as_text=True)
