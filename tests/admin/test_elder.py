"""长辈版 and the everyday details of #20, without a browser: the switch (device and account),
staff switching it for a resident, what the elder wish form offers, Chinese dates, tel: links
and the "what happens next" line. The browser journey is tests/admin/journeys/test_elder.py."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from admin import dates, phones
from schemas.tables import Event, Region, User
from tests.flows.walker import Walker

ELDER_BODY = '<body class="elder">'


def _elder_flag(factory, username: str) -> bool:
    with factory() as s:
        return bool(s.scalar(select(User.elder_mode).where(User.username == username)))


def test_one_tap_switch_is_remembered_for_the_account_and_the_device(app, login, factory):
    phone = login("res_a")
    assert ELDER_BODY not in phone.get("/").get_data(as_text=True)
    answer = phone.post("/elder", data={"on": "1", "next": "/me"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/me")
    assert "yijia_elder=1" in answer.headers["Set-Cookie"]
    assert ELDER_BODY in phone.get("/me").get_data(as_text=True)
    assert _elder_flag(factory, "res_a")
    another_device = login("res_a")  # no cookie there: the account's choice applies
    assert ELDER_BODY in another_device.get("/").get_data(as_text=True)
    with factory() as s:
        assert s.scalar(select(Event.data).where(Event.subject == "users", Event.step == "elder_mode")) == {"on": True}
    phone.post("/elder", data={"on": "0", "next": "//evil.example/"})  # off again; never an open redirect
    assert ELDER_BODY not in phone.get("/").get_data(as_text=True) and not _elder_flag(factory, "res_a")


def test_a_visitor_device_remembers_the_switch_by_cookie(app):
    visitor = app.test_client()
    answer = visitor.post("/elder", data={"on": "1", "next": "/login"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/login")
    page = visitor.get("/login").get_data(as_text=True)
    assert ELDER_BODY in page and "标准版" in page


def test_community_staff_switch_it_on_for_their_resident_only(login, factory):
    admin = login("cadm_a")
    done = admin.post("/manage/accounts", data={"username": "res_a", "action": "elder_on"}, follow_redirects=True)
    assert "已为 res_a 开启长辈版" in done.get_data(as_text=True) and _elder_flag(factory, "res_a")
    outside = admin.post("/manage/accounts", data={"username": "res_b", "action": "elder_on"})
    assert outside.status_code == 400 and not _elder_flag(factory, "res_b")  # another district's resident
    assert ELDER_BODY in login("res_a").get("/").get_data(as_text=True)


def test_elder_wish_form_asks_what_where_when_with_day_buttons(login, factory, world):
    phone = login("res_a")
    phone.post("/elder", data={"on": "1", "next": "/"})
    page = phone.get("/new/micro_wish").get_data(as_text=True)
    assert "data-screens" in page and page.count('<fieldset class="screen">') == 3  # what, where, when
    assert 'name="description"' not in page  # the optional long text is left out
    assert 'data-when="tomorrow"' in page and 'data-when="any"' in page and 'type="datetime-local"' not in page
    assert "下一步" in page and "上一步" in page


def test_demand_page_says_what_happens_next(login, factory, world):
    phone = login("res_a")
    posted = phone.post("/new/micro_wish", data={"community_id": world["ca"], "title": "帮我换灯泡",
                                                 "request_key": "elder-next-1"})
    assert posted.status_code == 302
    page = phone.get(posted.headers["Location"]).get_data(as_text=True)
    assert "接下来由社区工作人员审核发布，一般在 2 天内。" in page and "进度会显示在「我的」里。" in page


def test_call_the_community_button_in_elder_mode(login, factory, world):
    with factory() as s, s.begin():
        s.execute(update(Region).where(Region.id == world["ca"]).values(phone="0458-3601234"))
    phone = login("res_a")
    assert "打电话给社区" not in phone.get("/").get_data(as_text=True)
    phone.post("/elder", data={"on": "1", "next": "/"})
    for path in ("/", "/me", "/news", "/directory"):
        page = phone.get(path).get_data(as_text=True)
        assert 'href="tel:04583601234"' in page and "打电话给社区" in page, path
        assert '<span class="number">0458-3601234</span>' in page  # kept on one line (yijia.css)


def test_bottom_bar_labels_wrap_only_between_words(login):
    """At 390 px 长辈版's four-character tabs take two lines: the tabs keep Chinese whole, and a
    <wbr> between the two words is the only place to wrap (the browser journey measures it)."""
    phone = login("resmem")
    phone.post("/elder", data={"on": "1", "next": "/"})
    tabs = phone.get("/").get_data(as_text=True).split('<nav class="tabs"')[1]
    assert all(label in tabs for label in ("积分<wbr>换礼", "社区<wbr>新闻", "附近<wbr>服务", ">找活动<"))
    english = phone.get("/?lang=en").get_data(as_text=True).split('<nav class="tabs"')[1]
    assert "<wbr>" not in english


def test_log_out_is_a_button_on_me_not_in_the_top_bar(login):
    phone = login("res_a")
    home = phone.get("/").get_data(as_text=True)
    assert "/logout" not in home.split("</header>")[0]
    assert re.search(r'action="/logout"[^>]*>.*?退出登录', phone.get("/me").get_data(as_text=True), re.S)


def test_chinese_dates(app):
    now = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # Thursday 10:00 in Beijing
    with app.test_request_context("/"):
        assert dates.when(datetime(2026, 11, 26, 6, 30, tzinfo=UTC), now) == "今天 14:30"
        assert dates.when(datetime(2026, 11, 27, 1, 0, tzinfo=UTC), now) == "明天 09:00"
        assert dates.day(datetime(2026, 11, 28, 1, 0, tzinfo=UTC), now) == "11月28日 周六"
        assert dates.day(datetime(2027, 1, 4, 1, 0, tzinfo=UTC), now) == "2027年1月4日 周一"
        assert [k for k, _, _ in dates.quick_days(now)] == ["today", "tomorrow", "week"]
        # a range within one day gives the end's time; ending another day, its date too
        start, end = datetime(2026, 12, 5, 1, 0, tzinfo=UTC), datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
        assert dates.span(start, end, now) == "12月5日 周六 09:00 – 11:00"
        assert dates.span(start, end.replace(year=2027), now) == "12月5日 周六 09:00 – 2027年12月5日 周日 11:00"
        assert dates.span(start, None, now) == "12月5日 周六 09:00"
        assert {k: v for k, _, v in dates.quick_days(now)} == {
            "today": "2026-11-26T11:00", "tomorrow": "2026-11-27T09:00", "week": "2026-11-29T09:00"}
        late_saturday = datetime(2026, 11, 28, 14, 0, tzinfo=UTC)  # 22:00: no 今天, and 本周 would be tomorrow
        assert [k for k, _, _ in dates.quick_days(late_saturday)] == ["tomorrow"]
    with app.test_request_context("/?lang=en"):
        assert dates.day(datetime(2026, 11, 28, 1, 0, tzinfo=UTC), now) == "Sat 28 Nov"
        assert dates.when(datetime(2026, 11, 27, 1, 0, tzinfo=UTC), now) == "Tomorrow 09:00"


def test_phone_numbers_dial(login, world, factory):
    assert phones.tel("0458-3601234") == '<a class="tel" href="tel:04583601234">0458-3601234</a>'
    assert phones.tel("138 0458 0001").startswith('<a class="tel" href="tel:13804580001">')
    assert phones.tel("138****0001") == "138****0001"  # a masked number dials nothing
    assert phones.tel("<b>") == "&lt;b&gt;"
    linked = phones.tel_in("请打 13804580001 <找王阿姨>")
    assert 'href="tel:13804580001"' in linked and "&lt;找王阿姨&gt;" in linked


def test_community_admin_keeps_the_phone_residents_call(login, factory, world):
    admin = login("cadm_a")
    page = admin.get("/manage").get_data(as_text=True)
    assert f'id="phone-{world["ca"]}"' in page and "居民一键拨打" in page
    done = admin.post("/manage", data={"action": "phone", "community_id": world["ca"], "phone": "0458-3601234"},
                      follow_redirects=True)
    assert "旭日社区的电话已保存" in done.get_data(as_text=True)
    bad = admin.post("/manage", data={"action": "phone", "community_id": world["ca"], "phone": "call me"},
                     follow_redirects=True)
    assert "请填写电话号码" in bad.get_data(as_text=True)
    admin.post("/manage", data={"action": "phone", "community_id": world["cb"], "phone": "0458-1111111"})
    with factory() as s:
        assert s.get(Region, world["ca"]).phone == "0458-3601234"
        assert s.get(Region, world["cb"]).phone is None  # another district's community: refused


def test_who_joined_is_not_told_to_join_next(login, factory, world):
    """A volunteer item with places left still waits for 认领事项; who already joined is not told
    that is next (a tester was), anyone else is."""
    walk = Walker(factory, world)
    walk.start("cadm_a", "volunteer", {"title": "旭日探访", "description": "d", "capacity": 3})
    walk.act("mem1", "join")
    joined = login("mem1").get(f"/d/{walk.demand_id}").get_data(as_text=True)
    other = login("mem2").get(f"/d/{walk.demand_id}").get_data(as_text=True)
    title = "接下来由服务党员认领事项"  # the join step's title in workflows/volunteer_item.yaml
    assert title not in joined and title in other


def test_what_comes_next_says_who_does_it_in_plain_words(login, factory, world):
    """A resident's booking said "接下来：派单" (staff jargon, no one doing it): the line says who
    takes the next step, read from its `by:` in the workflow; the requester's own step is 您."""
    walk = Walker(factory, world)
    walk.start("res_a", "appointment", {"title": "老人理发"}, slot=world["slot"])
    page = login("res_a").get(f"/d/{walk.demand_id}").get_data(as_text=True)
    assert "接下来由社区工作人员安排服务党员" in page and "接下来：派单" not in page
    # the community's admin reads their own step as theirs, not as someone else's (the walk)
    admin_page = login("cadm_a").get(f"/d/{walk.demand_id}").get_data(as_text=True)
    assert "接下来由您安排服务党员" in admin_page and "社区工作人员" not in admin_page
    wish = Walker(factory, world)
    wish.start("res_a", "micro_wish", {"title": "修水管"})
    for user, step, data in [("cadm_a", "publish", {}), ("mem1", "claim", {}), ("mem1", "serve", {"hours": 1, "note": "好"})]:
        wish.act(user, step, data)
    assert "接下来由您评价" in login("res_a").get(f"/d/{wish.demand_id}").get_data(as_text=True)
    assert "接下来由发布人评价" in login("cadm_a").get(f"/d/{wish.demand_id}").get_data(as_text=True)


def test_booking_asks_for_the_service_first_in_the_elder_version(login, world, factory):
    """Every slot of every service in one list, each with its 备注 box, was a long scroll (the
    walk): the services come first as buttons; choosing one lists its slots only."""
    from schemas.tables import AppointmentService, AppointmentSlot

    with factory() as s:
        barber = s.get_one(AppointmentSlot, world["slot"])
        counsel = AppointmentService(community_id=world["ca"], task_type_id=world["tt_appointment"], name="心理咨询")
        s.add(counsel)
        s.flush()
        s.add(AppointmentSlot(service_id=counsel.id, starts_at=barber.starts_at + timedelta(hours=3),
                              ends_at=barber.ends_at + timedelta(hours=3), capacity=2))
        s.commit()
        counsel_id = counsel.id
    phone = login("res_a")
    plain = phone.get("/book").get_data(as_text=True)
    assert 'id="services"' in plain and plain.count('<form class="card slot"') == 2  # all, with the chooser above
    phone.post("/elder", data={"on": "1", "next": "/book"})
    first = phone.get("/book").get_data(as_text=True)
    assert "请先选择要预约的服务" in first and '<form class="card slot"' not in first
    assert re.findall(r'href="/book\?service=(\d+)"[^>]*>([^<]*)</a>', first) == [
        (str(world["service"]), "义务理发"), (str(counsel_id), "心理咨询")]
    chosen = phone.get(f"/book?service={counsel_id}").get_data(as_text=True)
    assert chosen.count('<form class="card slot"') == 1 and "<strong>心理咨询</strong>" in chosen
    assert "<strong>义务理发</strong>" not in chosen
    assert phone.get("/book?service=99999").status_code == 200  # an unknown one: all of them again
    phone.post(f"/book/{world['slot']}", data={"request_key": "k1"})  # one held: shown with the chooser
    held = phone.get("/book").get_data(as_text=True)
    assert "held-slot" in held and "查看我的预约" in held and '<form class="card slot"' not in held
