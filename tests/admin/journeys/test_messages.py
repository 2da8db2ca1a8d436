"""Messages (#17) on a phone in Chinese: the unread count on every page, 我的 → 消息, a message
opened by tapping goes to its demand and is read from then on; someone else's inbox shows none
of it. The database is checked afterwards."""
from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from flows.notices import courier
from schemas.tables import NoticeChoice, Notification, User
from tests.admin.journeys.people import ARTIFACTS, Person, needs_browser
from tests.flows.walker import Walker

pytestmark = needs_browser


def test_resident_reads_the_message_that_her_wish_is_done(browser, server, world, factory):
    walk = Walker(factory, world).rated_wish("帮忙换个灯泡", 5)  # the award tells the requester
    resident = Person(browser, server, "res_a", ARTIFACTS / "messages")
    assert resident.page.inner_text("#unread-badge") == "4"  # published, claimed, served, done: on the home page...
    # a screen reader hears the sentence, not a bare figure, and the tab keeps its name
    expect(resident.page.get_by_role("link", name="我的", exact=True)).to_have_accessible_description("4 条未读消息")
    resident.tab("资讯")
    assert resident.page.inner_text("#unread-badge") == "4"  # ...and on every other
    resident.tab("我的")
    resident.shot("me")
    resident.follow("消息")
    assert resident.says("您的心愿已完成：帮忙换个灯泡") and resident.says("您的心愿已被认领：帮忙换个灯泡")
    assert resident.page.locator(".message.unread").count() == 4
    resident.shot("inbox")
    resident.tap("您的心愿已完成：帮忙换个灯泡")
    assert resident.page.url.endswith(f"/d/{walk.demand_id}?from=messages") and resident.says("帮忙换个灯泡")
    assert resident.page.inner_text("#unread-badge") == "3"  # that one is read
    resident.shot("opened")
    resident.follow("‹ 返回消息")  # back where the message was opened, not to 我的
    assert resident.page.url.endswith("/me/messages")
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
        messages = s.scalars(select(Notification).where(Notification.demand_id == walk.demand_id,
                                                        Notification.kind != "points_credited")  # the member's
                             .order_by(Notification.id)).all()
        assert {(m.user_id, m.channel) for m in messages} == {(world["res_a"], "inbox")}
        assert [m.read_at is not None for m in messages] == [False, False, False, True]


def test_resident_chooses_e_mail_for_her_wishes_and_the_next_one_arrives_by_mail(browser, server, world, factory,
                                                                               channels):
    smtp, _ = channels
    resident = Person(browser, server, "res_a", ARTIFACTS / "messages")
    resident.tab("我的")
    resident.follow("消息")
    resident.follow("通知设置")
    assert resident.says("服务进展（心愿、活动）") and resident.says("超时督办")
    resident.shot("settings")
    # a wrong address is refused beside the field, in Chinese, and nothing is saved
    resident.page.fill("#email", "not-an-address")
    resident.page.locator("#cat-service").get_by_label("电子邮件").check()
    resident.tap("保存通知设置")
    assert "请填写正确的电子邮箱" in resident.page.inner_text("#email-error")
    with factory() as s:
        assert s.get(User, world["res_a"]).email is None
        assert s.scalars(select(NoticeChoice).where(NoticeChoice.user_id == world["res_a"])).all() == []
    resident.page.fill("#email", "wang@example.com")
    resident.page.locator("#cat-service").get_by_label("电子邮件").check()
    resident.tap("保存通知设置")
    assert "通知设置已保存" in resident.flash() and "验证邮件已发送到 wang@example.com" in resident.flash()
    with factory() as s:  # not used until proved
        assert s.get(User, world["res_a"]).email is None
    (check,) = smtp.messages
    link = re.search(r"https?://\S+/me/email/verify/\S+", check.get_content()).group(0)
    resident.scan(server + link[link.index("/me/email/verify/"):])  # she opens the mail on her phone
    resident.tap("确认验证")
    assert "电子邮箱 wang@example.com 已验证" in resident.flash()
    resident.shot("verified")
    resident.tab("我的")
    resident.follow("消息")
    resident.follow("通知设置")
    assert resident.page.locator("#cat-service").get_by_label("电子邮件").is_checked()
    assert not resident.page.locator("#cat-points").get_by_label("电子邮件").is_checked()
    assert resident.page.locator("#cat-escalation").get_by_label("短信").is_disabled()  # mandatory, shown ticked
    resident.shot("saved")
    resident.close()
    assert not resident.failures
    with factory() as s:
        assert s.get(User, world["res_a"]).email == "wang@example.com"
        service = s.get(NoticeChoice, (world["res_a"], "service"))
        assert service is not None and service.channels == ["email"]
    Walker(factory, world).rated_wish("帮忙换个灯泡", 5)
    courier.deliver_due(factory)
    assert "您的心愿已发布：帮忙换个灯泡" in [m["Subject"] for m in smtp.messages]
    assert all(m["To"] == "wang@example.com" for m in smtp.messages) and len(smtp.messages) == 5  # with the check


def test_resident_reads_why_her_wish_was_refused_and_clears_her_messages(browser, server, world, factory):
    refused = Walker(factory, world)
    refused.start("res_a", "micro_wish", {"title": "帮我买菜"})
    refused.act("cadm_a", "reject", {"reason": "请使用社区助餐服务"})
    published = Walker(factory, world)
    published.start("res_a", "micro_wish", {"title": "帮忙修一下家里的热水器和厨房的水龙头"})
    published.act("cadm_a", "publish")
    resident = Person(browser, server, "res_a", ARTIFACTS / "messages")
    assert resident.page.viewport_size == {"width": 390, "height": 844}
    resident.tab("我的")
    resident.follow("消息")
    assert resident.page.inner_text("#unread-badge") == "2"  # the inbox shown: nothing opened yet
    resident.shot("refusal-inbox")
    for card in resident.page.locator(".message.unread").all():  # the dot beside the title, the time on one line
        dot, title, time = (card.locator(s).bounding_box() for s in (".dot", ".message-title", ".message-time"))
        assert dot["x"] + dot["width"] <= title["x"] and time["height"] < 1.6 * 16
        assert card.locator(".chevron").is_visible()
    resident.tap("您的心愿未通过审核：帮我买菜")  # the whole row opens it
    assert resident.page.url.endswith(f"/d/{refused.demand_id}?from=messages")
    assert resident.says("原因") and resident.says("请使用社区助餐服务") and resident.says("未通过")
    assert resident.page.inner_text("#unread-badge") == "1"
    resident.shot("refusal-reason")
    resident.tab("我的")
    resident.follow("消息")
    resident.tap("全部已读", exact=True)
    assert "已全部标为已读" in resident.flash() and resident.page.locator("#unread-badge").count() == 0
    assert resident.page.locator(".message.unread").count() == 0
    resident.shot("all-read")
    resident.close()
    assert not resident.failures
