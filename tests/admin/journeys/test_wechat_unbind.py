"""A member whose WeChat was bound on a phone she no longer uses unbinds it from the website
(我的 → 账号与安全 → 微信 → 解除微信绑定), on a phone, in Chinese: the mini-program's WeChat
log-in ends at once, her password log-in stays. The database is checked afterwards."""
from __future__ import annotations

from sqlalchemy import select, update

from admin.api.client import ApiError, Client
from schemas.tables import AppToken, User
from tests.admin.conftest import PASSWORD
from tests.admin.journeys.people import ARTIFACTS, Person, needs_browser

pytestmark = needs_browser


def test_member_unbinds_her_wechat(browser, server, world, factory):
    with factory() as s:  # bound earlier in the mini-program (tests/admin/api/test_wechat_binding.py)
        s.execute(update(User).where(User.id == world["mem1"]).values(wechat_openid="o-old-phone"))
        s.commit()
    old_phone = Client(server, device="旧手机的小程序")
    old_phone.login("mem1", PASSWORD)
    with factory() as s:  # that device session was opened by WeChat
        s.execute(update(AppToken).where(AppToken.user_id == world["mem1"]).values(via="wechat"))
        s.commit()
    laptop = Client(server, device="电脑")
    laptop.login("mem1", PASSWORD)
    member = Person(browser, server, "mem1", ARTIFACTS / "wechat-unbind")
    member.tab("我的")
    member.follow("账号与安全")
    assert member.says("已绑定微信")
    member.shot("bound")
    member.page.locator("#wechat").get_by_role("link", name="解除微信绑定").click()
    member.page.wait_for_load_state()
    assert member.says("确定吗")  # asks first: binding again needs the password typed in the mini-program
    member.follow("不了，返回")
    assert member.says("已绑定微信")
    member.page.locator("#wechat").get_by_role("link", name="解除微信绑定").click()
    member.page.wait_for_load_state()
    member.shot("asks")
    member.tap("确定解除")
    assert "已解除微信绑定" in member.flash() and member.says("没有绑定微信")
    assert not member.says("旧手机的小程序") and member.says("电脑")
    member.shot("unbound")
    member.close()
    assert not member.failures
    try:
        old_phone.me()
        raise AssertionError("the WeChat log-in still works")
    except ApiError as exc:
        assert exc.status == 401
    assert laptop.me()["wechat_bound"] is False
    with factory() as s:
        assert s.scalar(select(User.wechat_openid).where(User.id == world["mem1"])) is None
        assert s.scalars(select(AppToken.device).where(AppToken.user_id == world["mem1"])).all() == ["电脑"]
    for client in (old_phone, laptop):
        client.http.close()
