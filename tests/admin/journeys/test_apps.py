"""A member who lost the phone she logged into the mini-program with ends that log-in from
the website (我的 → 账号与安全 → 手机应用和小程序 → 退出), on a phone, in Chinese; the app's
tokens stop working at once. The database is checked afterwards."""
from __future__ import annotations

from sqlalchemy import select

from admin.api.client import ApiError, Client
from schemas.tables import AppToken
from tests.admin.conftest import PASSWORD
from tests.admin.journeys.people import ARTIFACTS, Person, needs_browser

pytestmark = needs_browser


def test_member_ends_the_log_in_of_a_lost_phone(browser, server, world, factory):
    lost = Client(server, device="张三的旧手机")
    lost.login("mem1", PASSWORD)
    kept = Client(server, device="张三的新手机")
    kept.login("mem1", PASSWORD)
    member = Person(browser, server, "mem1", ARTIFACTS / "apps")
    member.tab("我的")
    member.follow("账号与安全")
    assert member.says("张三的旧手机") and member.says("张三的新手机") and member.says("密码登录")
    member.shot("devices")
    member.page.locator("#apps form", has_text="张三的旧手机").get_by_role("button", name="退出").click()
    member.page.wait_for_load_state()
    assert "已退出该设备" in member.flash() and not member.says("张三的旧手机") and member.says("张三的新手机")
    member.shot("ended")
    member.close()
    assert not member.failures
    try:
        lost.me()
        raise AssertionError("the lost phone's token still works")
    except ApiError as exc:
        assert exc.status == 401
    assert kept.me()["username"] == "mem1"
    with factory() as s:
        assert s.scalars(select(AppToken.device).where(AppToken.user_id == world["mem1"])).all() == ["张三的新手机"]
    for client in (lost, kept):
        client.http.close()
