"""Messages (#17) on a phone in Chinese: the unread count on every page, 我的 → 消息, a message
opened by tapping goes to its demand and is read from then on; someone else's inbox shows none
of it. The database is checked afterwards."""
from __future__ import annotations

from sqlalchemy import select

from schemas.tables import Notification
from tests.admin.journeys.people import ARTIFACTS, Person, needs_browser
from tests.flows.walker import Walker

pytestmark = needs_browser


def test_resident_reads_the_message_that_her_wish_is_done(browser, server, world, factory):
    walk = Walker(factory, world).rated_wish("帮忙换个灯泡", 5)  # the award tells the requester
    resident = Person(browser, server, "res_a", ARTIFACTS / "messages")
    assert resident.page.inner_text("#unread-badge") == "4"  # published, claimed, served, done: on the home page...
    resident.tab("资讯")
    assert resident.page.inner_text("#unread-badge") == "4"  # ...and on every other
    resident.tab("我的")
    resident.shot("me")
    resident.follow("消息")
    assert resident.says("您的心愿已完成：帮忙换个灯泡") and resident.says("您的心愿已被认领：帮忙换个灯泡")
    assert resident.page.locator(".message.unread").count() == 4
    resident.shot("inbox")
    resident.tap("您的心愿已完成：帮忙换个灯泡")
    assert resident.page.url.endswith(f"/d/{walk.demand_id}") and resident.says("帮忙换个灯泡")
    assert resident.page.inner_text("#unread-badge") == "3"  # that one is read
    resident.shot("opened")
    resident.tab("我的")
    resident.follow("消息")
    assert resident.page.locator(".message.unread").count() == 3
    assert resident.page.locator(".message:not(.unread)").inner_text().startswith("您的心愿已完成：")
    resident.close()

    neighbour = Person(browser, server, "res_b", ARTIFACTS / "messages")
    assert neighbour.page.locator("#unread-badge").count() == 0
    neighbour.tab("我的")
    neighbour.follow("消息")
    assert neighbour.says("还没有消息") and not neighbour.says("帮忙换个灯泡")
    neighbour.shot("someone-else")
    neighbour.close()
    assert not resident.failures and not neighbour.failures
    with factory() as s:
        messages = s.scalars(select(Notification).where(Notification.demand_id == walk.demand_id)
                             .order_by(Notification.id)).all()
        assert {(m.user_id, m.channel) for m in messages} == {(world["res_a"], "inbox")}
        assert [m.read_at is not None for m in messages] == [False, False, False, True]
