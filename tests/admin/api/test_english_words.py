"""A workflow's own words in English (`en:`): a reader who chose English sees the states, steps,
fields and choices in English on the web and over the API; a reader of Chinese sees them as
written; a message written while an English reader acts stays in the words of everyone; a
translation that names what the workflow does not have is refused where it is written."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from flows.workflow.compiler import WorkflowInvalid, compile_source
from schemas.settings import ROOT
from schemas.tables import Notification
from tests.flows.walker import Walker
from tests.world import NOW


def test_a_demand_page_reads_in_the_readers_language(login, world, factory):
    walk = Walker(factory, world).published_activity("清扫楼道", 5, NOW + timedelta(days=2))
    org = login("orgadm1")
    english = org.get(f"/d/{walk.demand_id}?lang=en").get_data(as_text=True)
    assert "Open to grab" in english and "Grab it" in english and "Create an activity" in english  # state, step, timeline
    assert "待抢单" not in english and "一键抢单" not in english
    chinese = org.get(f"/d/{walk.demand_id}?lang=zh").get_data(as_text=True)
    assert "待抢单" in chinese and "一键抢单" in chinese and "Open to grab" not in chinese
    form = login("cadm_a").get("/new/env_cleanup?lang=en").get_data(as_text=True)
    assert "Activity name" in form and "Most people" in form and "活动名称" not in form


def test_a_step_taken_in_english_writes_its_message_for_everyone(login, world, factory):
    """The requester reads Chinese: the message a claim in English writes is not half English."""
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "修水管", "starts_at": (NOW + timedelta(days=1)).isoformat()})
    walk.act("cadm_a", "publish")
    member = login("mem1")
    member.get(f"/d/{walk.demand_id}?lang=en")
    answer = member.post(f"/d/{walk.demand_id}/step/claim", data={"csrf_token": _token(member, walk.demand_id)},
                         follow_redirects=True).get_data(as_text=True)
    assert "Claim" in answer  # the flash, in the member's language
    with factory() as s:
        told = s.scalars(select(Notification).where(Notification.demand_id == walk.demand_id,
                                                    Notification.kind == "claim:notify")).one()
    assert "修水管" in told.title and not any(word in told.title + told.body for word in ("In service", "Claim"))


def test_the_api_reads_in_the_language_asked_for(api, world, factory):
    walk = Walker(factory, world).published_activity("敬老", 5, NOW + timedelta(days=2))
    english = api("orgadm1", language="en").demand(walk.demand_id)
    assert english["state_title"] == "Open to grab" and [s["title"] for s in english["steps"]] == ["Grab it"]
    chinese = api("orgadm1").demand(walk.demand_id)
    assert chinese["state_title"] == "待抢单" and [s["title"] for s in chinese["steps"]] == ["一键抢单"]


@pytest.mark.parametrize(("written", "where"), [
    ("    grab: {title: Grab it}\n", "    grabs: {title: Grab it}\n"),
    ("    rated: {title: Awaiting points}\n", "    rates: {title: Awaiting points}\n"),
    ("      fields: {rating: {title: How it went}, comment: {title: Comment}}\n",
     "      fields: {rating: {title: How it went}, remark: {title: Comment}}\n"),
])
def test_a_translation_of_what_is_not_there_is_refused_where_it_is_written(written, where):
    source = (ROOT / "workflows" / "joint_activity.yaml").read_text("utf-8")
    assert written in source
    with pytest.raises(WorkflowInvalid) as exc:
        compile_source(source.replace(written, where), "joint_activity.yaml")
    (problem,) = exc.value.problems
    line = next(n for n, text in enumerate(source.replace(written, where).splitlines(), 1) if where.rstrip("\n") in text)
    assert problem.line == line and problem.code == "wf.translation_unknown"


def _token(client, demand_id: int) -> str:
    import re

    page = client.get(f"/d/{demand_id}").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_the_timeline_shows_a_systems_message_in_the_readers_language(login, world, factory):
    """The award's notice sits on the timeline: an English reader saw it in Chinese (the walk)."""
    walk = Walker(factory, world).rated_wish("修灯", 5)
    assert walk.state() == "done"  # the award ran, with its notice
    resident = login("res_a")
    english = resident.get(f"/d/{walk.demand_id}?lang=en").get_data(as_text=True)
    assert "Your wish is done: 修灯" in english and "您的心愿已完成" not in english
    chinese = resident.get(f"/d/{walk.demand_id}?lang=zh").get_data(as_text=True)
    assert "您的心愿已完成：修灯" in chinese and "Your wish is done" not in chinese
