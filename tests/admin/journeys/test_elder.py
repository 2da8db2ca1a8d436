"""An older resident in 长辈版 (#20), on her phone in Chinese: one tap on the switch, then a wish
in three screens (what, where, when — 明天 as a button), the page that says what happens next,
and her rating once a member has served it. Screenshots in tests/artifacts/elder_wish/; the
database is checked after each part."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from schemas.clock import LOCAL_TZ, utcnow
from schemas.tables import Demand, Evaluation, Region, User
from tests.admin.journeys.people import ARTIFACTS, Person, needs_browser
from tests.flows.walker import Walker

pytestmark = needs_browser


def _visible_screens(person: Person) -> int:
    return person.page.locator("fieldset.screen:visible").count()


# Per tab label, every place its text goes onto a new line inside one run of text (a break at a
# <wbr> or a space is between words; "积分换/礼" is inside one); the unread badge is not label.
_BROKEN_WORDS = """() => [...document.querySelectorAll('nav.tabs a')].flatMap(a => {
  const walker = document.createTreeWalker(a, NodeFilter.SHOW_TEXT,
    {acceptNode: n => n.parentElement.closest('.badge') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
  const broken = [];
  for (let node; (node = walker.nextNode());) {
    let top = null;
    for (let i = 0; i < node.length; i++) {
      const range = document.createRange(); range.setStart(node, i); range.setEnd(node, i + 1);
      const rect = range.getBoundingClientRect();
      if (!rect.width) continue;
      if (top !== null && Math.abs(rect.top - top) > 2 && node.data[i - 1] !== ' ') broken.push(a.textContent.trim());
      top = rect.top;
    }
  }
  return broken;
})"""
# Each phone number on screen (a tel: link's text, the call button's number) is kept on one line:
# nowrap, so a narrower box or a wider font never splits it as "0458-/3600001". Listed: any that is not.
_SPLIT_PHONES = """() => {
  const call = document.querySelector('a.button.call');
  const numbers = [...document.querySelectorAll('a[href^="tel:"]:not(.button), a.button.call .number')];
  const split = numbers.filter(el => getComputedStyle(el).whiteSpace !== 'nowrap' || el.getClientRects().length > 1)
    .map(el => el.textContent);
  return call && !call.querySelector('.number') ? [...split, call.textContent] : split;
}"""


def _laid_out_whole(person: Person) -> None:
    """At 390 px in 长辈版: no bottom-bar label breaks inside a word, no phone number splits."""
    assert person.page.evaluate(_BROKEN_WORDS) == []
    assert person.page.evaluate(_SPLIT_PHONES) == []


def test_elder_resident_posts_a_wish_in_three_screens_and_rates_it(browser, server, world, factory):
    with factory() as s, s.begin():
        s.execute(update(Region).where(Region.id == world["ca"]).values(phone="0458-3601234"))
    grandma = Person(browser, server, "res_a", ARTIFACTS / "elder_wish")
    grandma.shot("standard")
    grandma.tap("长辈版")  # one tap, from the page she is on
    assert grandma.page.evaluate("document.body.classList.contains('elder')")
    with factory() as s:
        assert s.scalar(select(User.elder_mode).where(User.id == world["res_a"]))  # remembered for her account
    call = grandma.page.get_by_role("link", name="打电话给社区")
    assert call.get_attribute("href") == "tel:04583601234"
    speaks = grandma.page.evaluate("'speechSynthesis' in window")
    assert grandma.page.locator("#read-aloud").is_visible() == speaks  # read-aloud where the browser can speak
    body = grandma.page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert body >= 18
    _laid_out_whole(grandma)
    grandma.shot("home")

    grandma.follow("发布心愿")
    assert _visible_screens(grandma) == 1 and grandma.says("第 1 步（共 3 步）")
    grandma.tap("下一步")  # nothing typed yet: she stays here, told by the field, the cursor in it
    assert grandma.says("第 1 步（共 3 步）") and grandma.says("这一项必须填写")
    assert grandma.page.evaluate("document.activeElement.id") == "f-title"
    grandma.shot("what-missing")
    grandma.page.fill("#f-title", "帮我去药店买降压药")
    grandma.shot("what")
    grandma.tap("下一步")
    assert grandma.says("第 2 步（共 3 步）") and _visible_screens(grandma) == 1
    grandma.page.fill("#f-place", "5号楼3单元201")
    grandma.shot("where")
    grandma.tap("下一步")
    assert grandma.says("第 3 步（共 3 步）")
    assert grandma.page.locator("input[type=datetime-local]").count() == 0  # buttons, not a date picker
    next_button = grandma.page.get_by_role("button", name="发布心愿")
    assert next_button.bounding_box()["height"] >= 60
    grandma.page.get_by_text("明天", exact=True).click()
    grandma.shot("when")
    grandma.tap("发布心愿")
    assert "发布心愿成功" in grandma.flash() and grandma.says("接下来由社区工作人员审核发布，一般在 2 天内。")
    grandma.shot("posted")
    with factory() as s:
        wish = s.scalars(select(Demand).where(Demand.title == "帮我去药店买降压药")).one()
        assert wish.requester_id == world["res_a"] and wish.place == "5号楼3单元201"
        tomorrow = (utcnow().astimezone(LOCAL_TZ) + timedelta(days=1)).date()
        assert wish.starts_at.astimezone(LOCAL_TZ).date() == tomorrow and wish.starts_at.astimezone(LOCAL_TZ).hour == 9

    walk = Walker(factory, world)  # the community publishes it, a member serves it
    walk.demand_id = wish.id
    walk.act("cadm_a", "publish")
    walk.act("mem1", "claim")
    walk.act("mem1", "serve", {"hours": 1, "note": "药已送到"})

    grandma.home()
    grandma.tab("我的")
    grandma.follow("帮我去药店买降压药")
    assert grandma.says("待评价") and grandma.says("明天 09:00")  # the time in words, not 2026-11-27
    grandma.follow("评价")
    grandma.page.click("label[for=f-rating-5]")
    grandma.shot("rate")
    grandma.tap("评价")
    assert "评价成功" in grandma.flash() and grandma.says("已完成")
    grandma.shot("done")
    grandma.close()

    # a member who is also a resident has five tabs: at 390 px each four-character label takes
    # two lines, broken between its two words ("积分/换礼", not "积分换/礼")
    both = Person(browser, server, "resmem", ARTIFACTS / "elder_wish")
    both.tap("长辈版")
    assert both.page.locator("nav.tabs a").count() == 5
    _laid_out_whole(both)
    both.shot("member-tabs")
    both.close()
    with factory() as s:
        assert s.scalar(select(Evaluation.rating).where(Evaluation.demand_id == wish.id)) == 5
