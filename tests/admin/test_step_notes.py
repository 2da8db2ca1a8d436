"""What people typed in a step reaches whom it is for: a rejection's reason is on the wish's
timeline and in the resident's messages; a service's note and hours on the timeline, free
text only to those who see the demand's personal data."""
from __future__ import annotations

from tests.flows.walker import Walker


def test_rejection_reason_is_shown_and_sent_to_the_resident(login, world, factory):
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "修水管"})
    walk.act("cadm_a", "reject", {"reason": "请联系物业报修 13812345678"})
    resident = login("res_a")
    page = resident.get(f"/d/{walk.demand_id}").get_data(as_text=True)
    assert "<dt>原因</dt><dd>请联系物业报修 13812345678</dd>" in page
    inbox = resident.get("/me/messages").get_data(as_text=True)
    assert "您的心愿未通过审核：修水管" in inbox and "原因：请联系物业报修 13812345678" in inbox


def test_service_note_and_hours_on_the_timeline_private_text_to_the_people_of_it(login, world, factory):
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "修灯"})
    walk.act("cadm_a", "publish")
    walk.act("mem1", "claim")
    walk.act("mem1", "serve", {"hours": 1.5, "note": "换了灯泡，张阿姨在家"})
    for who in ("res_a", "mem1", "cadm_a"):
        page = login(who).get(f"/d/{walk.demand_id}").get_data(as_text=True)
        assert "<dt>服务时长(小时)</dt><dd>1.5</dd>" in page and "<dd>换了灯泡，张阿姨在家</dd>" in page
