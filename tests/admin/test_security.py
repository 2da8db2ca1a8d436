"""Security around authorisation (issue #16): keys, sessions, throttling, headers, masking.

Each test is an attack from the issue, replayed over HTTP against the real app: a cookie
forged with the published key, a stolen cookie after log-out and after a password change,
a lock-out aimed at someone else, a password sprayed over many accounts.
"""
from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import func, select, update

from admin.app import create_app
from admin.security import keys
from flows.core.db import make_engine, make_sessionmaker
from flows.people import accounts
from flows.people.privacy import mask_name, mask_phone, mask_phones_in
from schemas.clock import utcnow
from schemas.settings import get_settings
from schemas.tables import LoginSession, Role, RoleGrant, User
from tests.admin.conftest import PASSWORD
from tests.flows.walker import Walker

ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}
OWNER = {"REMOTE_ADDR": "198.51.100.7"}
STRONG = "k" * 8 + "-a-real-secret-key-of-enough-length-0123"


def _client(app, environ):
    client = app.test_client()
    client.environ_base.update(environ)
    return client


def _log_in(client, username, password=PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


def _forge(secret: str, payload: dict) -> str:
    """A session cookie as Flask would sign it with `secret`."""
    forger = Flask("forger")
    forger.secret_key = secret
    return SecureCookieSessionInterface().get_signing_serializer(forger).dumps(payload)


# -- secrets ----------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["", "dev-only-change-me", "short-key"])
def test_production_refuses_a_missing_default_or_short_key(db_url, monkeypatch, key):
    monkeypatch.setenv("YIJIA_ENV", "production")
    monkeypatch.setenv("YIJIA_SECRET_KEY", key)
    get_settings.cache_clear()
    with pytest.raises(keys.InsecureSecretKey, match="YIJIA_SECRET_KEY"):
        create_app({"DATABASE_URL": db_url})


def test_yijia_web_says_how_to_set_a_key(monkeypatch):
    from click.testing import CliRunner

    from admin.cli import main

    monkeypatch.setenv("YIJIA_ENV", "production")
    monkeypatch.delenv("YIJIA_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    result = CliRunner().invoke(main, ["web"])
    assert result.exit_code == 2 and "secrets.token_urlsafe" in result.output


def test_development_keeps_one_generated_key(tmp_path):
    first = keys.resolve("", "development", tmp_path)
    assert keys.is_strong(first) and keys.resolve(None, "development", tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # readable by its owner only
    assert keys.resolve(STRONG, "production", tmp_path) == STRONG


def test_a_cookie_forged_with_the_default_key_is_refused(db_url, world, monkeypatch):
    monkeypatch.setenv("YIJIA_ENV", "production")
    monkeypatch.setenv("YIJIA_SECRET_KEY", STRONG)
    get_settings.cache_clear()
    app = create_app({"DATABASE_URL": db_url, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    forged = {"_user_id": str(world["cityadm"]), "_fresh": True, "sid": "guessed"}
    client.set_cookie("yijia", _forge("dev-only-change-me", forged))
    answer = client.get("/admin/auditlog/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    # Even with the real key, a cookie without a live server-side session opens nothing.
    client.set_cookie("yijia", _forge(STRONG, forged))
    assert client.get("/admin/auditlog/").status_code == 302
    app.extensions["yijia.engine"].dispose()


# -- sessions ---------------------------------------------------------------------------------
HOST = "yijia.test"  # the test app's SERVER_NAME: cookies are set for it


def _cookie(client) -> str:
    return client.get_cookie("yijia", domain=HOST).value


def test_a_stolen_cookie_dies_at_log_out(app, world):
    owner = _client(app, OWNER)
    assert _log_in(owner, "res_a").status_code == 302
    thief = app.test_client()
    thief.set_cookie("yijia", _cookie(owner), domain=HOST)
    assert thief.get("/orders").status_code == 200  # the copy works while the session lives
    owner.post("/logout")
    answer = thief.get("/orders")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_a_password_change_ends_every_other_session(app, world, factory):
    phone, laptop = _client(app, OWNER), _client(app, OWNER)
    _log_in(phone, "mem1"), _log_in(laptop, "mem1")
    thief = app.test_client()
    thief.set_cookie("yijia", _cookie(laptop), domain=HOST)
    new = "a-much-longer-passphrase"
    weak = phone.post("/account", data={"current": PASSWORD, "new": "short", "confirm": "short"})
    assert weak.status_code == 400 and "密码至少 12 位" in weak.get_data(as_text=True)
    wrong = phone.post("/account", data={"current": "nope", "new": new, "confirm": new})
    assert wrong.status_code == 400 and "当前密码不对" in wrong.get_data(as_text=True)
    done = phone.post("/account", data={"current": PASSWORD, "new": new, "confirm": new}, follow_redirects=True)
    assert "其他设备上的登录已全部退出" in done.get_data(as_text=True)
    assert phone.get("/orders").status_code == 200  # the device that changed it stays in
    assert laptop.get("/orders").status_code == 302 and thief.get("/orders").status_code == 302
    assert _log_in(app.test_client(), "mem1").status_code == 401  # the old password is gone
    assert _log_in(app.test_client(), "mem1", new).status_code == 302


def test_sessions_time_out_when_idle_and_after_the_absolute_limit(app, world, factory):
    client = _client(app, OWNER)
    _log_in(client, "mem1")
    assert client.get("/orders").status_code == 200
    with factory() as s, s.begin():
        s.execute(update(LoginSession).values(seen_at=utcnow() - timedelta(minutes=31)))
    assert client.get("/orders").status_code == 302
    _log_in(client, "mem1")
    with factory() as s, s.begin():
        s.execute(update(LoginSession).values(created_at=utcnow() - timedelta(hours=12, minutes=1)))
    assert client.get("/orders").status_code == 302
    with factory() as s:  # ended sessions are deleted, not kept
        assert s.scalar(select(func.count()).select_from(LoginSession)) == 0


def test_a_session_is_touched_at_most_once_a_minute_and_ends_with_its_user(app, world, factory):
    """The session's liveness is judged in the same statement as the person's roles: the idle
    clock is written only when a minute has passed, and a deactivated user is logged out."""
    client = _client(app, OWNER)
    _log_in(client, "mem1")

    def seen():
        with factory() as s:
            return s.scalar(select(LoginSession.seen_at))

    recent = utcnow() - timedelta(seconds=30)
    with factory() as s, s.begin():
        s.execute(update(LoginSession).values(seen_at=recent))
    assert client.get("/orders").status_code == 200
    assert seen() == recent  # not written again within the minute
    with factory() as s, s.begin():
        s.execute(update(LoginSession).values(seen_at=utcnow() - timedelta(seconds=90)))
    assert client.get("/orders").status_code == 200
    assert seen() > utcnow() - timedelta(seconds=30)
    with factory() as s, s.begin():
        s.execute(update(User).where(User.id == world["mem1"]).values(is_active=False))
    assert client.get("/orders").status_code == 302
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(LoginSession)) == 0


def test_cookie_flags(db_url, world, monkeypatch):
    plain = app_with(db_url, monkeypatch)
    cookie = _log_in(plain.test_client(), "mem1").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = app_with(db_url, monkeypatch, YIJIA_BEHIND_HTTPS="true")
    answer = _log_in(secure.test_client(), "mem1")
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("__Host-yijia=") and "; Secure" in cookie and "HttpOnly" in cookie
    assert "max-age=31536000" in answer.headers["Strict-Transport-Security"]


def test_a_request_that_changes_nothing_sends_no_cookie(app, world):
    """A page's stylesheet or icon answered after the page's own change (a QR code's scan, a
    language) must not put the session it read before back in the browser: only a request that
    changed the session sends the cookie."""
    client = _client(app, OWNER)
    assert "Set-Cookie" in _log_in(client, "res_a").headers
    client.get("/orders")  # the first page may keep its form token in the session
    for path in ("/static/yijia.css", "/static/favicon.svg", "/orders", "/"):
        answer = client.get(path)
        assert answer.status_code in (200, 304) and "Set-Cookie" not in answer.headers, path
    assert client.get("/orders").status_code == 200  # still logged in without a refreshed cookie


def app_with(db_url, monkeypatch, **env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return create_app({"TESTING": True, "DATABASE_URL": db_url, "WTF_CSRF_ENABLED": False})


def test_admin_reset_gives_a_temporary_password_to_change_first(app, world, login):
    victim_phone = _client(app, OWNER)
    _log_in(victim_phone, "res_a")
    admin = login("cadm_a")
    other = login("cadm_b").post("/manage/accounts", data={"username": "res_a", "action": "reset"})
    assert other.status_code == 400 and "找不到这个用户" in other.get_data(as_text=True)  # not their community
    peer = admin.post("/manage/accounts", data={"username": "cadm_b", "action": "reset"})
    assert peer.status_code == 400
    page = admin.post("/manage/accounts", data={"username": "res_a", "action": "reset"}).get_data(as_text=True)
    temporary = page.split('<span class="code">')[1].split("</span>")[0]
    assert len(temporary) >= 12
    assert victim_phone.get("/orders").status_code == 302  # every session of hers ended
    fresh = _client(app, OWNER)
    first = _log_in(fresh, "res_a", temporary)
    assert first.status_code == 302 and "/account" in first.headers["Location"]
    assert "/account" in fresh.get("/hall").headers["Location"]  # nothing else until it is changed
    new = "my-own-new-password"
    fresh.post("/account", data={"current": temporary, "new": new, "confirm": new})
    assert fresh.get("/hall").status_code == 200


def test_admin_signs_someone_out_everywhere(app, world, login):
    phone = _client(app, OWNER)
    _log_in(phone, "mem1")
    answer = login("cadm_a").post("/manage/accounts", data={"username": "mem1", "action": "sign_out"},
                                  follow_redirects=True)
    assert "已退出 mem1 的全部 1 处登录" in answer.get_data(as_text=True)
    assert phone.get("/orders").status_code == 302
    assert login("res_a").get("/manage/accounts").status_code == 404


# -- throttling -------------------------------------------------------------------------------
def test_a_lock_out_cannot_be_aimed_at_someone_else(app, world):
    attacker = _client(app, ATTACKER)
    answers = [_log_in(attacker, "cadm_a", f"guess-{n}").status_code for n in range(30)]
    assert answers[:5] == [401] * 5 and set(answers[6:]) == {429}
    assert _log_in(attacker, "cadm_a").status_code == 429  # the right password from the attacker waits too
    assert _log_in(_client(app, OWNER), "cadm_a").status_code == 302  # the owner is let in


def test_spraying_one_password_over_many_accounts_is_slowed(app, world):
    sprayer = _client(app, ATTACKER)
    names = ["res_a", "res_a2", "res_b", "mem1", "mem2", "mem3", "resmem", "orgadm1", "orgadm2", "cadm_a",
             "cadm_b", "dadm1", "cityadm", "nobody"]
    answers = [_log_in(sprayer, name, "Summer2026!") for name in names]
    codes = [a.status_code for a in answers]
    assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}
    slowed = answers[10]
    assert 0 < int(slowed.headers["Retry-After"]) <= 60
    assert "操作太频繁" in slowed.get_data(as_text=True)
    english = sprayer.post("/login?lang=en", data={"username": "x", "password": "y"})
    assert english.status_code == 429 and "Too many attempts" in english.get_data(as_text=True)


def test_counters_reset_when_the_wait_ends_and_waits_grow(db_url, world):
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "WTF_CSRF_ENABLED": False,
                      "YIJIA_LIMIT_CLIENT_FAILURES": "2/2second;3/minute"})
    client = _client(app, ATTACKER)
    assert [_log_in(client, "mem1", "x").status_code for _ in range(3)] == [401, 401, 429]
    time.sleep(2.2)
    assert _log_in(client, "mem1", "x").status_code == 401  # the short window's count started again
    longer = _log_in(client, "mem1", "x")
    assert longer.status_code == 429 and int(longer.headers["Retry-After"]) > 2  # the next tier: a longer wait


def test_no_enumeration_through_log_in_or_sign_up(app, world, monkeypatch):
    checked = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda *a: checked.append(a[0]) or real(*a))
    client = app.test_client()
    known, unknown = _log_in(client, "mem1", "wrong"), _log_in(client, "no-such-user", "wrong")
    assert known.status_code == unknown.status_code == 401 and len(checked) == 2  # one hash each: same time
    def page(answer):  # the CSRF token carries a timestamp: two answers a second apart differ there only
        return re.sub(r'name="csrf_token" value="[^"]*"', "", answer.get_data(as_text=True))

    assert page(known) == page(unknown).replace("no-such-user", "mem1")
    base = {"password": "a-long-enough-password", "display_name": "新人", "community_id": world["ca"]}
    taken = client.post("/signup", data={**base, "username": "mem1"}).get_data(as_text=True)
    reserved = client.post("/signup", data={**base, "username": "admin"}).get_data(as_text=True)
    assert "这个用户名不可用，请换一个" in taken and "这个用户名不可用，请换一个" in reserved
    for n in range(3):
        client.post("/signup", data={**base, "username": f"probe{n}"})
    assert client.post("/signup", data={**base, "username": "probe9"}).status_code == 429


def test_a_sign_up_corrected_many_times_is_not_locked_out(app, world, factory):
    """Only sign-ups that made an account or asked about a name count: an elder fixing a short
    password and a missing name ten times is answered beside the fields each time, then signs up."""
    client = _client(app, ATTACKER)
    base = {"username": "zhangdama", "display_name": "张大妈", "community_id": world["ca"]}
    for attempt in range(10):
        answer = client.post("/signup", data={**base, "password": "short", "display_name": "" if attempt % 2 else "张大妈"})
        assert answer.status_code == 400 and "密码至少 12 位" in answer.get_data(as_text=True)
    assert client.post("/signup", data={**base, "password": "a-long-enough-password"}).status_code == 302
    with factory() as s:
        assert s.scalar(select(User.id).where(User.username == "zhangdama")) is not None


def test_the_wait_page_advice_fits_what_was_throttled(app, world, login):
    """Signing up too often was told 如果忘记了密码，请联系社区管理员重置: the advice is a sign-up's."""
    base = {"password": "a-long-enough-password", "display_name": "新人", "community_id": world["ca"]}
    signing_up = _client(app, ATTACKER)
    answers = [signing_up.post("/signup", data={**base, "username": f"probe{n}"}) for n in range(6)]
    page = answers[-1].get_data(as_text=True)
    assert answers[-1].status_code == 429 and "直接登录" in page and "忘记了密码" not in page
    logging_in = _client(app, OWNER)
    answers = [_log_in(logging_in, "mem1", f"guess-{n}") for n in range(7)]
    assert answers[-1].status_code == 429 and "忘记了密码" in answers[-1].get_data(as_text=True)
    member = login("mem2")
    changes = [member.post("/account", data={"old": "x", "new": "y", "confirm": "z"}) for _ in range(30)]
    throttled = next(a for a in changes if a.status_code == 429).get_data(as_text=True)
    assert "账号设置" in throttled and "忘记了密码" not in throttled and "注册" not in throttled


# -- headers ----------------------------------------------------------------------------------
def test_headers_on_every_kind_of_response(app, world, login, factory):
    admin = login("cityadm")
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "修水管"})
    activity = Walker(factory, world).recruiting_activity("扫雪", 3, datetime.now(UTC) + timedelta(days=1))
    answers = {
        "page": app.test_client().get("/"),
        "file": app.test_client().get("/static/yijia.css"),
        "svg": admin.get(f"/d/{activity.demand_id}/qr.svg"),  # the community's admins print the sign-in QR
        "404": app.test_client().get("/no-such-page"),
        "400": login("mem1").get("/hall?type=abc"),
        "json": app.test_client().get("/healthz"),
        "admin": admin.get("/admin/"),
        "admin-json": admin.post("/admin/workflows/validate", data={"source": "id: x"}),
        "redirect": app.test_client().get("/me"),
    }
    spray = _client(app, ATTACKER)
    for n in range(11):
        answers["429"] = _log_in(spray, f"user{n}", "x")
    app.extensions["yijia.sessions"] = make_sessionmaker(make_engine("postgresql://nobody@127.0.0.1:1/gone"))
    answers["503"] = app.test_client().get("/")
    expected = {"page": 200, "file": 200, "svg": 200, "404": 404, "400": 400, "json": 200, "admin": 200,
                "admin-json": 200, "redirect": 302, "429": 429, "503": 503}
    for kind, answer in answers.items():
        assert answer.status_code == expected[kind], kind
        csp = answer.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, kind
        assert "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert answer.headers["X-Content-Type-Options"] == "nosniff", kind
        assert answer.headers["Referrer-Policy"] == "same-origin", kind
        assert answer.headers["X-Frame-Options"] == "DENY", kind


def test_console_scripts_carry_the_nonce(login):
    answer = login("cityadm").get("/admin/demand/")
    page = answer.get_data(as_text=True)
    nonce = answer.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    scripts = re.findall(r"<script[^>]*>", page)
    assert len(scripts) > 5 and all(f'nonce="{nonce}"' in tag for tag in scripts)
    assert "onclick=" not in page and 'data-model-action="publish"' in page


# -- personal data ----------------------------------------------------------------------------
def test_masking_helpers():
    assert (mask_name("张三"), mask_name("欧阳娜娜"), mask_name("")) == ("张*", "欧***", "")
    assert mask_phone("13812341234") == "138****1234" and mask_phone("138 1234 1234") == "138****1234"
    assert mask_phones_in("请打 13812341234 找我") == "请打 138****1234 找我"


def test_names_and_phones_masked_by_role(app, world, login, factory):
    with factory() as s, s.begin():
        s.execute(update(User).where(User.username == "res_a").values(display_name="王秀英"))
        s.execute(update(User).where(User.username == "cadm_a").values(display_name="旭日社区书记"))
    walk = Walker(factory, world)
    # a number anywhere the resident can type: the title (also the page's <title>), the place, the text
    walk.start("res_a", "micro_wish", {"title": "修水管 13812341234", "place": "3号楼 13812341234",
                                       "description": "电话 13812341234"})
    walk.act("cadm_a", "publish")
    url = f"/d/{walk.demand_id}"
    passer_by = login("mem2").get(url).get_data(as_text=True)  # a member browsing the hall
    assert "王**" in passer_by and "王秀英" not in passer_by
    assert passer_by.count("138****1234") == 4 and "13812341234" not in passer_by
    assert "旭日社区书记" in passer_by  # who published it is an office, not a private person
    with factory() as s, s.begin():  # another community's admin, living here, is a private person here
        s.execute(update(User).where(User.username == "cadm_b").values(display_name="李建国"))
        s.add(RoleGrant(user_id=world["cadm_b"], role=Role.RESIDENT, region_id=world["ca"]))
    elsewhere = Walker(factory, world)
    elsewhere.start("cadm_b", "micro_wish", {"title": "换锁"})
    elsewhere.act("cadm_a", "publish")
    seen = login("mem2").get(f"/d/{elsewhere.demand_id}").get_data(as_text=True)
    assert "李**" in seen and "李建国" not in seen
    for who in ("res_a", "cadm_a", "cityadm"):  # the resident herself and the admins of her community
        page = login(who).get(url).get_data(as_text=True)
        assert "王秀英" in page and "13812341234" in page, who
    walk.act("mem1", "claim")
    assert "王秀英" in login("mem1").get(url).get_data(as_text=True)  # the member who serves her


# -- a step's form only for who may take it (#16 item 7) ------------------------------------------
def test_the_resident_cannot_see_the_assign_form(app, world, login, factory):
    client = login("res_a")
    answer = client.post(f"/book/{world['slot']}", data={"note": "上门理发"})
    demand_id = int(answer.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    page = client.get(f"/d/{demand_id}/step/assign", follow_redirects=True)  # back to the demand, with why
    body = page.get_data(as_text=True)
    assert page.status_code in (200, 403, 404) and 'name="assignee"' not in body and "mem1" not in body
    assert "没有权限" in body or page.status_code in (403, 404)


def test_sessions_are_rows_that_log_out_deletes(app, world, factory):
    client = _client(app, OWNER)
    _log_in(client, "mem1")
    with factory() as s:
        row = s.scalars(select(LoginSession)).one()
        assert len(row.token_hash) == 64 and row.token_hash not in _cookie(client)  # only the hash is stored
    client.post("/logout")
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(LoginSession)) == 0


def _redis_up() -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 6379)) == 0


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_two_web_workers_share_the_counts_through_redis(db_url, world):
    import redis

    url = "redis://127.0.0.1:6379/3"
    redis.Redis.from_url(url).flushdb()
    config = {"TESTING": True, "DATABASE_URL": db_url, "WTF_CSRF_ENABLED": False, "YIJIA_THROTTLE_STORAGE": url}
    workers = [create_app(config), create_app(config)]
    answers = [_log_in(_client(workers[n % 2], ATTACKER), f"user{n}", "x").status_code for n in range(12)]
    assert answers[:10] == [401] * 10 and answers[10:] == [429, 429]  # ten in all, not ten per worker
    redis.Redis.from_url(url).flushdb()


def test_imported_members_change_their_first_password(factory, world):
    import io

    from openpyxl import Workbook

    from flows.people import imports

    book = Workbook()
    book.active.append(imports.MEMBER_COLUMNS)
    book.active.append(["newmember", "新党员", "", "财政局", "", "旭日社区", ""])
    data = io.BytesIO()
    book.save(data)
    with factory() as s:
        imports.import_members(s, data.getvalue(), world["cadm_a"], ["/"])
        assert s.scalar(select(User.must_change_password).where(User.username == "newmember")) is True


def test_no_template_of_ours_has_an_inline_script():
    """The Content-Security-Policy's nonce is a second line of defence, not a licence: every
    script of ours is a static file, so a template that gains an inline one fails here."""
    import re
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "admin" / "templates"
    inline = [
        f"{path.relative_to(templates)}: {tag}"
        for path in templates.rglob("*.html")
        for tag in re.findall(r"<script\b[^>]*>", path.read_text(encoding="utf-8"))
        if "src=" not in tag
    ]
    assert inline == []
