"""Real browser, real server, a phone-sized screen: changing one's password, an admin's reset
with a temporary password, and the console working under the Content-Security-Policy (no
inline script runs, and nothing that needed one is broken)."""
from __future__ import annotations

from tests.admin import test_browser as shared
from tests.admin.conftest import PASSWORD
from tests.admin.test_browser import ARTIFACTS, Person
from tests.flows.walker import Walker

# The browser, the live server and the skip-without-Chromium mark of the journey tests.
browser, server, pytestmark = shared.browser, shared.server, shared.pytestmark
NEW = "my-new-long-passphrase"


def _log_in(person: Person, username: str, password: str) -> None:
    person.page.goto(f"{person.base}/login")
    person.page.fill("#username", username)
    person.page.fill("#password", password)
    person.page.click("main button[type=submit]")
    person.page.wait_for_load_state()


def _csp_violations(person: Person) -> list[str]:
    seen: list[str] = []
    person.page.on("console", lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None)
    return seen


def test_member_changes_her_password_and_other_devices_are_signed_out(browser, server, world):
    shots = ARTIFACTS / "password_change"
    phone = Person(browser, server, "mem1", shots)
    laptop = Person(browser, server, "mem1", shots)
    violations = _csp_violations(phone)
    phone.page.get_by_role("link", name="我的").click()
    phone.page.get_by_role("link", name="账号与安全").click()
    phone.shot("account")
    phone.page.fill("#current", PASSWORD)
    phone.page.fill("#new", NEW)
    phone.page.fill("#confirm", NEW + "x")
    phone.tap("修改密码")
    assert phone.says("两次输入的新密码不一致")
    phone.page.fill("#current", PASSWORD)
    phone.page.fill("#new", NEW)
    phone.page.fill("#confirm", NEW)
    phone.tap("修改密码")
    assert phone.says("密码已修改，其他设备上的登录已全部退出")
    phone.shot("changed")
    laptop.go("/me")
    assert "/login" in laptop.page.url  # the other device was signed out
    phone.tap("退出")
    _log_in(phone, "mem1", PASSWORD)
    assert phone.says("用户名或密码错误")
    _log_in(phone, "mem1", NEW)
    assert phone.page.url == f"{server}/"
    assert not violations, violations


def test_admin_resets_a_residents_password(browser, server, world):
    shots = ARTIFACTS / "password_reset"
    resident_phone = Person(browser, server, "res_a", shots)
    admin = Person(browser, server, "cadm_a", shots)
    admin.page.get_by_role("link", name="我的").click()
    admin.page.get_by_role("link", name="账号管理（重置密码）").click()
    admin.page.fill("#username", "res_a")
    admin.tap("重置密码")
    assert admin.says("已为 res_a 重置密码")
    temporary = admin.page.locator("#temporary .code").inner_text().strip()
    admin.shot("temporary")
    resident_phone.go("/me")
    assert "/login" in resident_phone.page.url  # her old session ended with the reset

    resident = Person.__new__(Person)
    resident.page = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                        locale="zh-CN").new_page()
    resident.base, resident.username, resident.shots, resident.n = server, "res_a", shots, 0
    _log_in(resident, "res_a", temporary)
    assert resident.says("您正在使用临时密码")  # straight to choosing her own
    resident.shot("forced")
    resident.go("/hall")
    assert "/account" in resident.page.url  # nothing else opens before
    resident.page.fill("#current", temporary)
    resident.page.fill("#new", NEW)
    resident.page.fill("#confirm", NEW)
    resident.tap("修改密码")
    assert resident.says("密码已修改")
    resident.go("/hall")
    assert resident.page.url.endswith("/hall")
    resident.shot("free")


def test_console_works_under_the_content_security_policy(browser, server, world, factory):
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "修水管"})
    shots = ARTIFACTS / "console_csp"
    admin = Person(browser, server, "cadm_a", shots)
    admin.page.set_viewport_size({"width": 1280, "height": 900})
    violations = _csp_violations(admin)
    admin.go("/admin/demand/")
    admin.page.locator("input.action-checkbox").first.check()
    admin.page.once("dialog", lambda dialog: dialog.accept())
    admin.page.get_by_role("button", name="选中的").or_(admin.page.locator("a.dropdown-toggle", has_text="选中的")).first.click()
    admin.page.locator("[data-model-action=publish]").click()
    admin.page.wait_for_load_state()
    assert admin.says("已完成 1 条")
    admin.shot("bulk-publish")

    district = Person(browser, server, "dadm1", shots)
    district.page.set_viewport_size({"width": 1280, "height": 900})
    violations += _csp_violations(district)
    district.go("/admin/workflows/edit/micro_wish")
    district.page.locator("#source").press_sequentially("\nstates: [", delay=5)
    district.page.locator("#problems .problem").first.wait_for(timeout=10_000)
    assert district.page.locator("#problems .problem").count() >= 1  # live validation ran from the static file
    district.shot("live-validation")
    assert not violations, violations
