"""The inbox over HTTP: a message opens only for its recipient (a 404 for anyone else, as for
a message that does not exist), opening needs a POST, and the list is the person's own."""
from __future__ import annotations

import re

from sqlalchemy import select, update

from schemas.tables import Notification
from tests.flows.walker import Walker


def _message(factory, demand_id):
    with factory() as s:
        return s.scalars(select(Notification).where(Notification.demand_id == demand_id,
                                                    Notification.kind == "award:notify")).one()


def test_only_the_recipient_opens_a_message(app, world, factory, login):
    walk = Walker(factory, world).rated_wish("修理纱窗", 5)
    message = _message(factory, walk.demand_id)
    for someone_else in ("res_b", "mem1", "cadm_a", "cityadm"):
        client = login(someone_else)
        assert "您的心愿已完成：修理纱窗" not in client.get("/me/messages").get_data(as_text=True)
        assert client.post(f"/me/messages/{message.id}").status_code == 404
    assert _message(factory, walk.demand_id).read_at is None
    assert app.test_client().post(f"/me/messages/{message.id}").status_code == 302  # to the log-in page
    owner = login("res_a")
    assert owner.get(f"/me/messages/{message.id}").status_code == 405  # opening changes it: POST only
    page = owner.get("/me/messages").get_data(as_text=True)
    assert "修理纱窗" in page and 'id="unread-badge"' in page
    answer = owner.post(f"/me/messages/{message.id}")
    assert answer.status_code == 302 and answer.location.endswith(f"/d/{walk.demand_id}?from=messages")
    assert _message(factory, walk.demand_id).read_at is not None
    assert owner.post("/me/messages/99999").status_code == 404


def _unread(factory, username_id):
    with factory() as s:
        return [n.id for n in s.scalars(select(Notification).where(
            Notification.user_id == username_id, Notification.channel == "inbox", Notification.read_at.is_(None)))]


def test_read_all_marks_what_was_shown_once_and_showing_marks_nothing(world, factory, login):
    for title in ("修纱窗", "修水管", "修灯"):
        walk = Walker(factory, world)
        walk.start("res_a", "micro_wish", {"title": title})
        walk.act("cadm_a", "publish")
    owner = login("res_a")
    page = owner.get("/me/messages").get_data(as_text=True)
    assert len(_unread(factory, world["res_a"])) == 3  # looking at the list opens nothing
    shown = _unread(factory, world["res_a"])
    assert 'id="read-all"' in page and 'name="request_key"' in page and f'name="up_to" value="{max(shown)}"' in page
    late = Walker(factory, world)  # arrives after the page was drawn
    late.start("res_a", "micro_wish", {"title": "后来的"})
    late.act("cadm_a", "publish")
    others = _unread(factory, world["mem1"])
    done = owner.post("/me/messages/read", data={"up_to": max(shown), "request_key": "k1"}, follow_redirects=True)
    assert "已全部标为已读" in done.get_data(as_text=True)
    assert len(_unread(factory, world["res_a"])) == 1 and _unread(factory, world["mem1"]) == others
    again = owner.post("/me/messages/read", data={"up_to": max(shown), "request_key": "k1"}, follow_redirects=True)
    assert "没有未读消息" in again.get_data(as_text=True) and len(_unread(factory, world["res_a"])) == 1
    assert owner.get("/me/messages/read").status_code == 405
    assert owner.post("/me/messages/read", data={"up_to": "x"}).status_code == 400


def test_each_message_is_one_tappable_row_and_the_inbox_pages(world, factory, login):
    for n in range(32):
        walk = Walker(factory, world)
        walk.start("res_a", "micro_wish", {"title": f"心愿{n:02d}"})
        walk.act("cadm_a", "publish")
    owner = login("res_a")
    first = owner.get("/me/messages").get_data(as_text=True)
    card = first[first.index('<form class="card message unread"'):first.index("</form>", first.index('<form class="card message'))]
    assert '<button class="message-open">' in card and "message-title" in card and "message-time" in card
    assert "message-body" in card and "chevron" in card  # title, text, time and the affordance all in the one button
    # a time as every other page says it (今天 10:44), not 11-28 10:44
    assert re.search(r'class="message-time"[^>]*>(今天|昨天) \d\d:\d\d</time>', card), card
    older = first[first.index('rel="next"') - 60:first.index('rel="next"')]
    assert first.count('class="card message') == 30 and "心愿31" in first and "心愿01" not in first and "before=" in older
    second = owner.get("/me/messages?" + older.split("?")[1].split('"')[0]).get_data(as_text=True)
    assert second.count('class="card message') == 2 and "心愿00" in second and "心愿31" not in second
    # 全部已读 on the newest page only: from an older one it would leave the newer unread
    assert 'id="read-all"' in first and 'id="read-all"' not in second


def test_a_message_about_a_report_in_or_an_order_opens_where_it_is_dealt_with(world, factory, login):
    from flows.people import accounts
    from flows.people.actors import load_actor
    from schemas.tables import MemberRegistration

    with factory() as s:
        registration = s.scalar(select(MemberRegistration.id).where(MemberRegistration.member_id == world["mem_pending"]))
        accounts.decide(s, load_actor(s, world["cadm_a"]), "member", registration, False, reason="请写全姓名")
        told = s.scalars(select(Notification).where(Notification.user_id == world["mem_pending"],
                                                   Notification.kind == "registration_rejected")).one()
    member = login("mem_pending")
    answer = member.post(f"/me/messages/{told.id}")
    assert answer.status_code == 302 and answer.location.endswith("/checkin")  # the reason, and reporting in again
    assert "原因：请写全姓名" in member.get("/checkin").get_data(as_text=True)


def test_a_message_reads_in_the_language_its_reader_reads_now(world, factory, login):
    """Written while its reader read Chinese, read later in English: the English words, in the
    inbox (the API: tests/admin/api/test_answers.py); a row written before messages kept their translations reads as
    written."""
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "换灯泡"})
    walk.act("cadm_a", "publish")
    owner = login("res_a")
    assert "您的心愿已发布：换灯泡" in owner.get("/me/messages").get_data(as_text=True)
    english = owner.get("/me/messages?lang=en").get_data(as_text=True)
    assert "您的心愿已发布" not in english and "换灯泡" in english
    title = re.search(r'class="message-title">([^<]*)<', english).group(1)
    assert title.isascii() is False and title.replace("换灯泡", "").isascii()  # English around the wish's own words
    with factory() as s, s.begin():
        s.execute(update(Notification).values(texts=None))
    assert "您的心愿已发布：换灯泡" in owner.get("/me/messages?lang=en").get_data(as_text=True)
