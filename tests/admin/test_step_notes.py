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


def test_the_claimant_sees_who_asked_and_how_to_reach_them(login, world, factory):
    """The resident was told the member would contact them; the member had only a name. The
    requester's phone is shown to the people of the demand, never to anyone else."""
    from sqlalchemy import update

    from schemas.tables import User

    with factory() as s, s.begin():
        s.execute(update(User).where(User.id == world["res_a"]).values(phone="13800001111"))
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "修灯"})
    walk.act("cadm_a", "publish")
    before = login("mem2").get(f"/d/{walk.demand_id}").get_data(as_text=True)  # may claim, has not
    walk.act("mem1", "claim")
    page = login("mem1").get(f"/d/{walk.demand_id}").get_data(as_text=True)
    assert 'id="requester"' in page and 'href="tel:13800001111"' in page
    assert "13800001111" not in before and 'id="requester"' not in before
    assert 'id="requester"' not in login("res_a").get(f"/d/{walk.demand_id}").get_data(as_text=True)  # herself
