"""改期 (#17) on a phone in Chinese: a community admin opens an activity from the work queue and
moves it a day later; the database has the new time and its event, and the request to confirm
comes two days before the new time, not the old."""
# ruff: noqa: F811  (the browser and server fixtures are imported, then named as arguments)
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from flows.engine import reminders
from schemas.clock import as_local, utcnow
from schemas.tables import Demand, Event, Notification
from tests.admin.journeys.staff import Staff, browser, pytestmark, server  # noqa: F401
from tests.flows.walker import Walker


def test_community_admin_puts_an_activity_off_by_a_day_from_the_queue(browser, server, world, factory):
    now = utcnow().replace(second=0, microsecond=0)
    start = now + timedelta(days=3)
    walk = Walker(factory, world).recruiting_activity("社区义诊", 5, start)
    admin = Staff(browser, server, "cadm_a", "reschedule")
    admin.tap_link("待办事项")
    admin.tap_card("社区义诊")
    admin.page.get_by_role("link", name="改期", exact=True).click()
    admin.page.wait_for_load_state()
    assert admin.page.input_value("#f-starts_at") == as_local(start).strftime("%Y-%m-%dT%H:%M")
    # the end starts empty and keeps the length (filled with the old end, a later start was
    # refused as an end before the start: the walk)
    assert admin.page.input_value("#f-ends_at") == ""
    admin.page.fill("#f-starts_at", "2099-01-01T09:00")  # a slip of the year: said beside the start only
    admin.tap("改期")
    assert "一年以内" in admin.page.inner_text("#e-starts_at") and admin.page.locator("#e-ends_at").count() == 0
    admin.shot("a-slip-of-the-year")
    later = start + timedelta(days=1)
    admin.page.fill("#f-starts_at", as_local(later).strftime("%Y-%m-%dT%H:%M"))
    admin.page.fill("#f-ends_at", "")
    admin.shot("form")
    admin.tap("改期")
    assert "改期成功" in admin.flash()
    admin.shot("moved")
    with factory() as s:
        demand = s.get(Demand, walk.demand_id)
        assert demand.starts_at == later and demand.ends_at == later + timedelta(hours=2)
        assert s.scalars(select(Event.actor_id).where(Event.demand_id == walk.demand_id,
                                                      Event.step == "reschedule")).all() == [world["cadm_a"]]
    member = Staff(browser, server, "mem1", "reschedule")  # signed up: told of the new time
    member.tap_tab("我的")
    member.follow("消息")
    assert member.shows("时间有变：社区义诊")
    member.shot("told")
    with factory() as s:
        told = s.scalars(select(Notification.user_id).where(Notification.kind == "reschedule:notify")).all()
        assert sorted(told) == sorted([world["mem1"], world["orgadm1"]])
    with factory() as s:  # the request to confirm, due two days before the old time, now comes at the new
        assert reminders.due(s, start - timedelta(hours=47)) == {}
        assert reminders.due(s, later - timedelta(hours=47)) == {"ask": 1}
