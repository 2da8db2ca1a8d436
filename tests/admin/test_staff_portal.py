"""The admins' and organisations' portal pages over HTTP: links by role, the work queue, the
发布 menu and 代办, attendance, handing out orders, a member's organisation."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from flows.engine import attendance
from flows.people.actors import load_actor
from flows.points import ledger, shop
from schemas.clock import utcnow
from schemas.tables import Account, Demand, Event, Member, Order, OrderStatus, ServiceRecord, ShopItem, TaskType, User
from tests.flows.walker import Walker
from tests.world import NOW

ROLES = ["res_a", "mem1", "mem_pending", "resmem", "orgadm1", "cadm_a", "dadm1", "cityadm"]


def _links(page: str) -> set[str]:
    return {link for link in re.findall(r'href="(/[^"#]*)', page) if "lang=" not in link}


@pytest.mark.parametrize("user", ROLES)
def test_every_link_on_home_and_me_answers(login, world, factory, user):
    """A link a role cannot use is not shown: each one shown answers 2xx/3xx."""
    Walker(factory, world).start("res_a", "micro_wish", {"title": "修灯"})
    client = login(user)
    links = _links(client.get("/").get_data(as_text=True)) | _links(client.get("/me").get_data(as_text=True))
    for link in sorted(links):
        assert client.get(link).status_code < 400, link
    admin = user in ("cadm_a", "dadm1", "cityadm")
    assert {"/queue" in links, "/manage" in links, "/approvals" in links, "/admin/" in links} == {admin}
    assert ("/org" in links) == (user == "orgadm1")
    assert ("/hall" in links) == (not admin)
    assert ("/new/micro_wish" in links) == (user in ("res_a", "resmem"))  # only residents post wishes themselves
    assert ("/book" in links) == (user in ("res_a", "resmem"))
    assert ("/me/org" in links) == (user in ("mem1", "mem_pending", "resmem"))


def test_city_admin_is_not_offered_what_they_cannot_start(login, world):
    page = login("cityadm").get("/").get_data(as_text=True)
    assert "/new/micro_wish" not in page and "/publish" in page
    menu = login("cityadm").get("/publish").get_data(as_text=True)
    assert "/new/env_cleanup" in menu and f"/publish/{world['tt_micro_wish']}/for" in menu
    assert login("mem1").get("/publish").status_code == 404  # nothing to start


def test_queue_lists_work_with_links_and_pages(login, world, factory):
    for n in range(23):
        Walker(factory, world).start("res_a", "micro_wish", {"title": f"心愿{n:02d}"})
    Walker(factory, world).start("res_b", "micro_wish", {"title": "站前的心愿"}, community="cb")
    admin = login("cadm_a")
    first = admin.get("/queue").get_data(as_text=True)
    assert first.count('href="/d/') == 20 and "心愿00" in first and "站前的心愿" not in first
    assert "1 / 2" in first and "审核发布" in first and "mem_pending" in first  # a report-in to approve
    second = admin.get("/queue?page=2").get_data(as_text=True)
    assert "心愿22" in second and "心愿00" not in second
    city = login("cityadm")
    assert "站前的心愿" in city.get(f"/queue?community={world['cb']}").get_data(as_text=True)
    assert "站前社区" in city.get("/queue?page=2").get_data(as_text=True)
    assert admin.get(f"/queue?community={world['cb']}").status_code == 404  # not their community
    assert admin.get("/queue?page=x").status_code == 400
    english = admin.get("/queue?lang=en").get_data(as_text=True)
    assert "Demands waiting on you" in english and "To-do" in english


def test_behalf_register_and_post_once(login, world, factory):
    admin = login("cadm_a")
    tt = world["tt_micro_wish"]
    assert admin.get("/new/micro_wish").headers["Location"].endswith(f"/publish/{tt}/for")
    pick = admin.get(f"/publish/{tt}/for?q=res_a2").get_data(as_text=True)
    assert "res_a2" in pick and f"/new/micro_wish?for={world['res_a2']}" in pick
    data = {"display_name": "张大爷", "community_id": world["ca"], "request_key": "form-1", "password": ""}
    first = admin.post(f"/publish/{tt}/for", data=data)
    again = admin.post(f"/publish/{tt}/for", data=data)  # the back button and submit again
    assert first.headers["Location"] == again.headers["Location"]
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(User).where(User.display_name == "张大爷")) == 1
        elder = s.scalar(select(User.id).where(User.display_name == "张大爷"))
    form = admin.get(first.headers["Location"]).get_data(as_text=True)
    assert "张大爷 是发起人" in form.replace("代 张大爷", "")
    bad = admin.post(f"/publish/{tt}/for", data={**data, "display_name": "", "request_key": "form-2"})
    assert bad.status_code == 400 and "请填写姓名" in bad.get_data(as_text=True)
    posted = admin.post(f"/new/micro_wish?for={elder}", data={"community_id": world["ca"], "title": "帮忙买药",
                                                               "for": elder}, follow_redirects=True)
    assert "发布心愿成功" in posted.get_data(as_text=True) and "代办" in posted.get_data(as_text=True)
    with factory() as s:
        demand = s.scalar(select(Demand).where(Demand.title == "帮忙买药"))
        event = s.scalar(select(Event).where(Event.demand_id == demand.id))
    assert demand.requester_id == elder and event.actor_id == world["cadm_a"]


def test_attendance_sheet(login, world, factory):
    walk = Walker(factory, world).recruiting_activity("助老", 3, utcnow() - timedelta(minutes=10))  # under way
    walk.act("mem2", "sign_up")
    url = f"/d/{walk.demand_id}/attendance"
    admin = login("cadm_a")
    assert 'data-step="sign_in"' not in admin.get(url).get_data(as_text=True)  # recruiting: not yet
    walk.act("cadm_a", "begin", now=utcnow())  # the start is the real clock's
    assert "确认出勤" in admin.get(f"/d/{walk.demand_id}").get_data(as_text=True)
    sheet = admin.get(url).get_data(as_text=True)
    assert "mem1" in sheet and "mem2" in sheet and "确认签到" in sheet
    out = admin.post(url, data={"user_id": world["mem1"], "step": "sign_out"}, follow_redirects=True)
    assert "请先签到" in out.get_data(as_text=True)
    ok = admin.post(url, data={"user_id": world["mem1"], "step": "sign_in"}, follow_redirects=True)
    assert "mem1：签到成功" in ok.get_data(as_text=True)
    twice = admin.post(url, data={"user_id": world["mem1"], "step": "sign_in"}, follow_redirects=True)
    assert "已经签到过了" in twice.get_data(as_text=True)
    assert admin.post(url, data={"user_id": world["mem3"], "step": "sign_in"}).status_code == 404
    assert "签到" in admin.post(url, data={"user_id": world["mem2"], "step": "begin"},
                                follow_redirects=True).get_data(as_text=True)
    with factory() as s:
        signed = s.scalars(select(ServiceRecord.user_id).where(ServiceRecord.signed_in_at.is_not(None))).all()
        events = s.scalars(select(Event).where(Event.demand_id == walk.demand_id, Event.step == "sign_in")).all()
    assert signed == [world["mem1"]]
    assert [(e.actor_id, e.data["on_behalf_of"]) for e in events] == [(world["cadm_a"], world["mem1"])]


def test_the_sheet_says_when_confirming_opens_and_offers_no_button_before(login, world, factory):
    """Begun the day before (开始活动 opens then), the sheet offered 确认签到, and every tap was
    refused until an hour before the start (the review): the buttons wait, and the sheet says
    from when; the API's open_steps agree."""
    start = (utcnow() + timedelta(hours=20)).replace(second=0, microsecond=0)
    walk = Walker(factory, world).recruiting_activity("助老", 3, start)
    walk.act("cadm_a", "begin", now=utcnow())
    url = f"/d/{walk.demand_id}/attendance"
    sheet = login("cadm_a").get(url).get_data(as_text=True)
    assert 'id="waits-sign_in"' in sheet and "起可以确认" in sheet
    assert re.search(r'data-step="sign_in"\s+disabled', sheet)
    with factory() as s:
        found = attendance.sheet(s, load_actor(s, world["cadm_a"]), walk.demand_id)
        (mem1,) = [p for p in found.people if p.user_id == world["mem1"]]
        assert not attendance.open_for(mem1, found.steps["sign_in"], found.demand)
        assert attendance.open_for(mem1, found.steps["sign_in"], found.demand, now=start - timedelta(minutes=30))


def test_hand_out_an_order_from_the_counter(login, world, factory):
    with factory() as s:
        item = ShopItem(community_id=world["ca"], name="挂面", price=5, stock=3)
        s.add(item)
        s.commit()
        ledger.post(s, "gift", ledger.PostingKind.AWARD, "奖励", [
            ledger.Move(ledger.issuance_account(s), -5), ledger.Move(ledger.user_account(s, world["res_a"]), 5)])
        s.commit()
        order = shop.redeem(s, world["res_a"], item.id, now=NOW)
    admin = login("cadm_a")
    queue = admin.get("/queue").get_data(as_text=True)
    assert "挂面" in queue and "待领取订单 <b>1</b>" in queue
    page = admin.get("/manage").get_data(as_text=True)
    assert f'data-order="{order.id}"' in page and f"/manage/pickup/{order.id}" in page
    asks = admin.get(f"/manage/pickup/{order.id}").get_data(as_text=True)  # the code to check, then one tap
    assert order.pickup_code in asks and "确认发放" in asks and 'value="pickup"' in asks
    assert login("cadm_b").get(f"/manage/pickup/{order.id}").status_code == 404  # another community's counter
    assert login("res_a").get(f"/manage/pickup/{order.id}").status_code == 404
    with factory() as s:
        assert s.get(Order, order.id).status is OrderStatus.RESERVED  # asking changed nothing
    done = admin.post("/manage", data={"action": "pickup", "code": order.pickup_code}, follow_redirects=True)
    assert "已确认领取" in done.get_data(as_text=True)
    again = admin.post("/manage", data={"action": "pickup", "code": order.pickup_code}, follow_redirects=True)
    assert "订单已领取、取消或过期" in again.get_data(as_text=True)
    late = admin.get(f"/manage/pickup/{order.id}", follow_redirects=True)  # the Back button to the question
    assert "这笔兑换已经发放了" in late.get_data(as_text=True)
    with factory() as s:
        assert s.get(Order, order.id).status is OrderStatus.PICKED_UP
    assert "挂面" not in admin.get("/queue").get_data(as_text=True)


def test_member_asks_to_join_an_organisation_and_its_admin_decides(app, login, world, factory):
    """所属党组织 asks; 组织档案 shows the request to that organisation's admins only, with
    通过 / 不通过; the member's page says where things stand; naming one at sign-up asks too."""
    member = login("mem2")
    page = member.get("/me/org").get_data(as_text=True)
    assert "税务局党支部" in page and "财政局党支部" in page
    asked = member.post("/me/org", data={"org_id": world["org2"]}, follow_redirects=True).get_data(as_text=True)
    assert "已提交入组申请" in asked and "已申请加入 税务局党支部" in asked
    assert member.post("/me/org", data={"org_id": "999999"}).status_code == 400
    with factory() as s:
        assert s.get(Member, world["mem2"]).org_id == world["org1"]  # not before its admins say so
    assert 'id="join-requests"' not in login("orgadm1").get("/org").get_data(as_text=True)
    admin = login("orgadm2")
    assert '<span class="badge"' in admin.get("/").get_data(as_text=True)  # 组织档案 counts it
    office = admin.get("/org").get_data(as_text=True)
    assert 'id="join-requests"' in office and f'data-member="{world["mem2"]}"' in office
    assert "社区报到待审核" not in office  # mem2's 报到 is approved (an unapproved one is marked: test_joining)
    # another organisation's admin cannot decide it by posting the form
    forged = login("orgadm1").post(f"/org/requests/{world['mem2']}", data={"org_id": world["org2"],
                                                                         "decision": "approve"},
                                   follow_redirects=True).get_data(as_text=True)
    assert "找不到这条入组申请" in forged
    assert admin.post(f"/org/requests/{world['mem2']}", data={"org_id": world["org2"]}).status_code == 400  # no answer
    done = admin.post(f"/org/requests/{world['mem2']}", data={"org_id": world["org2"], "decision": "approve"},
                      follow_redirects=True).get_data(as_text=True)
    assert "已通过：mem2 加入了组织" in done and 'id="join-requests"' not in done
    again = admin.post(f"/org/requests/{world['mem2']}", data={"org_id": world["org2"], "decision": "decline"},
                       follow_redirects=True).get_data(as_text=True)
    assert "这条入组申请已经处理过了" in again
    with factory() as s:
        assert s.get(Member, world["mem2"]).org_id == world["org2"]
    assert login("res_a").post(f"/org/requests/{world['mem2']}", data={"org_id": world["org2"]}).status_code == 404
    client = app.test_client()
    signed = client.post("/signup", data={"username": "newmem", "password": "green-hill-2026", "display_name": "新党员",
                                          "community_id": world["cb"], "role": "member", "org_id": world["org1"]},
                         follow_redirects=True).get_data(as_text=True)
    assert "报到申请已提交，等待社区审核，入组申请已发给该组织的管理员" in signed
    with factory() as s:
        user_id = s.scalar(select(User.id).where(User.username == "newmem"))
        new = s.get(Member, user_id)
        # the work unit is not taken from an organisation that has not said yes
        assert (new.org_id, new.org_requested_id, new.work_unit) == (None, world["org1"], None)


def test_org_page_shows_the_organisations_points(login, world, factory):
    walk = Walker(factory, world).recruiting_activity("助老", 3, NOW + timedelta(hours=1))
    for user, step, data in [("cadm_a", "begin", {}), ("mem1", "sign_in", {}), ("mem1", "sign_out", {}),
                             ("cadm_a", "finish", {}), ("cadm_a", "evaluate", {"rating": 5})]:
        walk.act(user, step, data, now=NOW + timedelta(hours=1))
    page = login("orgadm1").get("/org").get_data(as_text=True)
    with factory() as s:
        balance = s.scalar(select(Account.balance).where(Account.code == f"org:{world['org1']}"))
    assert balance == 20 and "20 <small>组织积分" in page and "助老" in page and "mem1" in page


def test_queue_marks_what_is_overdue(login, world, factory):
    Walker(factory, world).start("res_a", "micro_wish", {"title": "三天前的心愿"}, now=utcnow() - timedelta(days=3))
    Walker(factory, world).start("res_a", "micro_wish", {"title": "今天的心愿"}, now=utcnow())
    page = login("cadm_a").get("/queue").get_data(as_text=True)
    demands = page[page.index('id="demands"'):page.index('id="attendance"')]
    late = page[page.index('id="overdue"'):]
    assert demands.index("三天前的心愿") < demands.index("今天的心愿")  # oldest first
    assert demands.count("已超时") == 1 and "三天前的心愿" in late and "今天的心愿" not in late


def test_queue_names_each_demand_by_its_task_type(login, world, factory):
    """环境整治, as the community named the task type, not the workflow behind it (联建活动)."""
    with factory() as s:
        s.execute(update(TaskType).where(TaskType.id == world["tt_env_cleanup"]).values(name="楼道清理"))
        s.commit()
    start = NOW + timedelta(days=2)
    Walker(factory, world).start("cadm_a", "env_cleanup", {
        "title": "周末大扫除", "description": "d", "place": "p", "capacity": 3, "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat()})
    page = login("cadm_a").get("/queue").get_data(as_text=True)
    card = page[page.index("周末大扫除"):][:300]
    assert '<span class="tag">楼道清理</span>' in card and "联建活动" not in card


def _cards(page: str, section: str) -> list[str]:
    """The demand ids of one section's cards on the 待办 page."""
    start = page.index(f'<section id="{section}">')
    return re.findall(r'data-demand="(\d+)"', page[start:page.index("</section>", start)])


def test_queue_overdue_list_pages_and_counts_like_the_console(login, world, factory):
    at = utcnow() - timedelta(days=20)  # every one entered its state at the same moment: ties to break
    ids = {str(Walker(factory, world).start("res_a", "micro_wish", {"title": f"超时{n}"}, now=at).demand_id)
           for n in range(45)}
    admin = login("dadm1")
    pages = [admin.get(f"/queue?overdue_page={n}").get_data(as_text=True) for n in (1, 2, 3)]
    assert all("超时未办 <b>45</b>" in p and "超时未办 <small>45</small>" in p for p in pages)
    seen = [_cards(p, "overdue") for p in pages]
    assert [len(s) for s in seen] == [20, 20, 5] and set(sum(seen, [])) == ids and len(sum(seen, [])) == 45
    assert "1 / 3" in pages[0] and 'href="/queue?overdue_page=2#overdue"' in pages[0]
    assert "超时未处理（45）" in admin.get("/admin/").get_data(as_text=True)  # the console's figure
    # paging the demands leaves the overdue list on its own page, and keeps the other's
    assert _cards(admin.get("/queue?page=2").get_data(as_text=True), "overdue") == seen[0]
    both = admin.get("/queue?page=2&overdue_page=2").get_data(as_text=True)
    assert _cards(both, "overdue") == seen[1] and "overdue_page=2" in both.split('data-pager="page"')[1]


def test_the_counter_finds_whose_points_by_name(login, world, factory):
    """调整积分 asked for a user id nobody at a counter knows: found by name among the
    community's members and residents, chosen with a tap; another community's people are not."""
    admin = login("cadm_a")
    with factory() as s:
        name = s.get(User, world["mem1"]).display_name
        elsewhere = s.get(User, world["mem3"]).display_name  # 铁力's member
    page = admin.get("/manage", query_string={"who": name}).get_data(as_text=True)
    assert f'data-user="{world["mem1"]}"' in page
    assert f'data-user="{world["mem3"]}"' not in admin.get("/manage", query_string={"who": elsewhere}).get_data(
        as_text=True)
    chosen = admin.get("/manage", query_string={"user_id": world["mem1"], "who": name}).get_data(as_text=True)
    assert 'id="chosen"' in chosen and f'name="user_id" value="{world["mem1"]}"' in chosen
    foreign = admin.get("/manage", query_string={"user_id": world["mem3"]}).get_data(as_text=True)
    assert 'id="chosen"' not in foreign and elsewhere not in foreign


def test_giving_up_again_from_a_second_tab_says_it_was_done(login, world, factory):
    """After 放弃抢单 the organisation no longer holds the activity: its Back button or second tab
    is told it was given up, not that it has no right to do it."""
    walk = Walker(factory, world).recruiting_activity("护绿", 3, NOW + timedelta(days=2))
    admin = login("orgadm1")
    done = admin.post(f"/d/{walk.demand_id}/step/give_up", follow_redirects=True).get_data(as_text=True)
    assert "放弃抢单成功" in done
    for again in (admin.get(f"/d/{walk.demand_id}/step/give_up", follow_redirects=True),
                  admin.post(f"/d/{walk.demand_id}/step/give_up", follow_redirects=True)):
        page = again.get_data(as_text=True)
        assert "您已经放弃抢单了，现在是“待抢单”" in page and "您没有权限" not in page
    other = login("orgadm2").post(f"/d/{walk.demand_id}/step/give_up", follow_redirects=True)
    assert other.status_code == 404 or "您已经放弃抢单" not in other.get_data(as_text=True)
    with factory() as s:
        assert s.get_one(Demand, walk.demand_id).state == "open"


def test_the_member_org_page_says_what_each_submit_did(login, world, factory):
    """撤回申请 is a button of its own; each 提交 says what it did (asked, withdrew, left, nothing),
    and the list starts on the organisation the member is in, not the one they asked for."""
    member = login("mem2")
    asked = member.post("/me/org", data={"org_id": world["org2"]}, follow_redirects=True).get_data(as_text=True)
    assert 'id="withdraw-request"' in asked and "撤回申请" in asked
    assert re.search(rf'<option value="{world["org1"]}" selected>', asked)  # where they are now
    withdrawn = member.post("/me/org", data={"org_id": world["org1"]}, follow_redirects=True).get_data(as_text=True)
    assert "已撤回加入税务局党支部的申请" in withdrawn and 'id="withdraw-request"' not in withdrawn
    same = member.post("/me/org", data={"org_id": world["org1"]}, follow_redirects=True).get_data(as_text=True)
    assert "没有变化" in same
    left = member.post("/me/org", data={"org_id": ""}, follow_redirects=True).get_data(as_text=True)
    assert "已退出财政局党支部" in left
    with factory() as s:
        assert (s.get(Member, world["mem2"]).org_id, s.get(Member, world["mem2"]).org_requested_id) == (None, None)


def test_an_organisation_admin_finds_what_it_grabbed_on_me(login, world, factory):
    walk = Walker(factory, world).published_activity("文明劝导", 5, NOW + timedelta(days=2))
    assert "文明劝导" not in login("orgadm1").get("/me").get_data(as_text=True)
    walk.act("orgadm1", "grab")
    assert "文明劝导" in login("orgadm1").get("/me").get_data(as_text=True)  # under 报名中
    assert "文明劝导" not in login("orgadm2").get("/me").get_data(as_text=True)
    walk.act("orgadm1", "give_up")
    assert "文明劝导" not in login("orgadm1").get("/me").get_data(as_text=True)  # no longer theirs


def test_an_adjustment_without_a_person_or_with_too_large_an_amount_keeps_what_was_typed(login, world, factory):
    """An empty 用户编号 or an amount past a million went to the bare 400 page and lost the reason."""
    admin = login("cadm_a")
    empty = admin.post("/manage", data={"action": "adjust", "user_id": "", "amount": "5", "reason": "清雪奖励"})
    text = empty.get_data(as_text=True)
    assert empty.status_code == 400 and 'id="adjust-user-error"' in text and 'value="清雪奖励"' in text
    large = admin.post("/manage", data={"action": "adjust", "user_id": str(world["mem1"]), "amount": "9000000",
                                        "reason": "清雪奖励"})
    text = large.get_data(as_text=True)
    assert large.status_code == 400 and 'id="adjust-amount-error"' in text and 'value="清雪奖励"' in text
    assert 'id="chosen"' in text  # the person chosen stays
