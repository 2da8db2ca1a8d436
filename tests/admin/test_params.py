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
    assert "缺少必填项：人员" in page and "缺少必填项：user_id" not in page
    page = admin.post("/manage", data={"action": "adjust", "user_id": "1", "amount": "abc", "reason": "x"}).get_data(
        as_text=True)
    assert "“积分”应为整数" in page and "“amount”" not in page


def test_a_missing_id_is_a_clear_400(login):
    admin = login("cadm_a")
    answer = admin.post("/approvals", data={"kind": "member", "decision": "approve"})
    assert answer.status_code == 400 and "缺少必填项" in answer.get_data(as_text=True)


def test_a_bad_value_leads_back_to_its_form_not_home(login):
    """“积分”应为整数 with 回首页 as the only way on lost the counter: back goes to the form's page,
    and only a page of ours (a forged Referer is not followed)."""
    admin = login("cadm_a")
    form = {"kind": "member", "decision": "approve"}  # no id: the bare 400 page, with the way back
    page = admin.post("/approvals", data=form, headers={"Referer": "http://yijia.test/approvals?who=%E6%96%B9"})
    assert page.status_code == 400 and 'href="/approvals?who=%E6%96%B9" class="button">‹ 返回上一页' in page.get_data(
        as_text=True)
    elsewhere = admin.post("/approvals", data=form, headers={"Referer": "https://evil.example/approvals"}).get_data(
        as_text=True)
    assert "evil.example" not in elsewhere and "回首页" in elsewhere
    # the counter's own form does better: the form again, the problem beside its field, the rest kept
    counter = admin.post("/manage", data={"action": "adjust", "user_id": "1", "amount": "abc", "reason": "清雪"})
    text = counter.get_data(as_text=True)
    assert counter.status_code == 400 and 'id="adjust-amount-error"' in text and 'value="清雪"' in text


SEARCH_PAGES = [  # (who, the page with a GET search box, the box's name)
    (None, "/directory", "q"),
    ("res_a", "/resources", "q"),
    ("cadm_a", "/publish/{tt_micro_wish}/for", "q"),
    ("cadm_a", "/manage", "who"),
    ("cadm_a", "/admin/appointmentservice/", "search"),  # the console's list search
]


def test_every_get_search_box_has_a_maxlength():
    """A GET form's text box without a limit let a 475-character query past the request-line
    limit of the server in front (gunicorn's English "URI Too Long"): every one carries one."""
    import re
    from pathlib import Path

    templates = Path(__file__).parents[2] / "admin" / "templates"
    for path in templates.rglob("*.html"):
        for form in re.findall(r'<form[^>]*method="get".*?</form>', path.read_text(), re.S | re.I):
            for box in re.findall(r"<input\b[^>]*>", form):
                kind = re.search(r'type="([\w-]+)"', box)
                if kind is None or kind[1] in ("text", "search"):
                    assert "maxlength=" in box, f"{path.name}: {box}"


def test_an_over_long_search_is_cut_never_an_error(app, login, world):
    from admin.params import SEARCH_MAX

    long_query = "理发" * 240  # 480 characters
    for who, url, name in SEARCH_PAGES:
        client = login(who) if who else app.test_client()
        answer = client.get(url.format(tt_micro_wish=world["tt_micro_wish"]), query_string={name: long_query})
        page = answer.get_data(as_text=True)
        assert answer.status_code == 200, (url, answer.status_code)
        assert f'maxlength="{SEARCH_MAX}"' in page and long_query[:SEARCH_MAX + 1] not in page, url


def test_the_web_server_lets_a_long_search_reach_the_app(monkeypatch):
    """gunicorn's default request line (4094 bytes) is ~450 Chinese characters of query."""
    from click.testing import CliRunner

    from admin import cli

    ran: list[list[str]] = []
    monkeypatch.setattr(cli.os, "execvp", lambda _file, argv: ran.append(argv))
    monkeypatch.setenv("YIJIA_ENV", "development")
    cli.get_settings.cache_clear()
    try:
        assert CliRunner().invoke(cli.main, ["web"]).exit_code == 0
    finally:
        cli.get_settings.cache_clear()
    argv = ran[0]
    assert argv[argv.index("--limit-request-line") + 1] == "8190"
