"""Numbers and ids from requests are parsed by one layer: a plain 400 or 404, never a 500."""
from __future__ import annotations


def test_ids_beyond_the_database_range_are_not_found(login):
    member = login("mem1")
    assert member.get(f"/d/{2**70}").status_code == 404
    assert member.get("/d/0").status_code == 404


def test_a_word_where_a_number_belongs_is_a_clear_400(app, login):
    client = app.test_client()
    answer = client.post("/signup", data={"username": "newbie", "password": "pw-123456", "display_name": "新人",
                                          "community_id": "abc", "role": "resident"})
    assert answer.status_code == 400 and "“社区”应为整数" in answer.get_data(as_text=True)  # as the form names it
    hall = login("mem1").get("/hall?type=abc&lang=en")
    assert hall.status_code == 400 and "whole number" in hall.get_data(as_text=True)
    assert "type" not in hall.get_data(as_text=True).split("whole number")[0][-40:]


def test_a_sentence_never_names_a_parameter(login):
    """"“amount”应为整数" and "缺少必填项：user_id" reached a community admin: the field's own word."""
    admin = login("cadm_a")
    page = admin.post("/manage", data={"action": "adjust", "user_id": "", "amount": "5", "reason": "x"}).get_data(
        as_text=True)
    assert "user_id" not in page
    page = admin.post("/manage", data={"action": "adjust", "user_id": "1", "amount": "abc", "reason": "x"}).get_data(
        as_text=True)
    assert "amount" not in page


def test_a_missing_id_is_a_clear_400(login):
    admin = login("cadm_a")
    answer = admin.post("/approvals", data={"kind": "member", "decision": "approve"})
    assert answer.status_code == 400 and "缺少必填项" in answer.get_data(as_text=True)


def test_a_bad_value_leads_back_to_its_form_not_home(login):
    """“积分”应为整数 with 回首页 as the only way on lost the counter: back goes to the form's page,
    and only a page of ours (a forged Referer is not followed)."""
    admin = login("cadm_a")
    form = {"action": "adjust", "user_id": "1", "amount": "abc", "reason": "x"}
    page = admin.post("/manage", data=form, headers={"Referer": "http://yijia.test/manage?who=%E6%96%B9"})
    assert page.status_code == 400 and 'href="/manage?who=%E6%96%B9" class="button">‹ 返回上一页' in page.get_data(as_text=True)
    elsewhere = admin.post("/manage", data=form, headers={"Referer": "https://evil.example/manage"}).get_data(as_text=True)
    assert "evil.example" not in elsewhere and "回首页" in elsewhere
