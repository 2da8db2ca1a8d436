"""One renderer of a refusal (admin/i18n.py): the portal and the console say why nothing was
done in the reader's language, with the field problems after the reason."""
from __future__ import annotations

from flask import get_flashed_messages

from admin.i18n import refusal_text
from flows.core.i18n import Message
from flows.core.refusals import Refused
from tests.admin.test_console import tokens
from tests.flows.walker import Walker


def test_reason_and_fields_are_joined_per_language(app):
    refused = Refused("input", fields={"quantity": Message("数量应为 1 到 99"), "reason": Message("必须填写原因")})
    with app.test_request_context("/?lang=en"):
        from flask import session

        session["lang"] = "en"
        english = refusal_text(refused)
    with app.test_request_context("/"):
        chinese = refusal_text(refused)
    assert chinese == "请检查填写的内容：数量应为 1 到 99；必须填写原因"
    assert english == "please check the form: the quantity is 1 to 99; a reason is required"
    with app.test_request_context("/"):
        assert refusal_text(Refused("taken")) == "已被认领"
        assert get_flashed_messages() == []


def test_a_fields_problem_the_reason_already_says_is_not_said_twice(app):
    with app.test_request_context("/"):
        assert refusal_text(Refused("shop.stock_negative", fields={"delta": "库存不能减到 0 以下"})) == "库存不能减到 0 以下"
        assert refusal_text(Refused("ledger.reason_required", fields={"reason": "必须填写原因"})) == "调整积分必须填写原因"


def test_portal_flash_in_english(login, world, factory):
    admin = login("cadm_a")
    admin.get("/?lang=en")
    page = admin.post("/manage", data={"action": "adjust", "user_id": world["mem1"], "amount": "5", "reason": ""},
                      follow_redirects=True).get_data(as_text=True)
    assert "必须填写原因" not in page and "reason" in page.lower()


def test_console_bulk_report_in_english(login, world, factory):
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "已发布的心愿"})
    client = login("cadm_a")
    client.post("/admin/demand/action/", data={**tokens(client, "/admin/demand/"), "action": "publish",
                                               "rowid": [walk.demand_id]})
    client.get("/admin/?lang=en")
    again = client.post("/admin/demand/action/", data={**tokens(client, "/admin/demand/"), "action": "publish",
                                                       "rowid": [walk.demand_id]},
                        follow_redirects=True).get_data(as_text=True)
    assert f"#{walk.demand_id}" in again and "不能审核发布" not in again
