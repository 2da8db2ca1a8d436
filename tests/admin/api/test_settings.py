"""My settings over the API: 通知设置 (channels per category, mandatory ones, quiet hours, the
e-mail address and its verification), checked in the database afterwards."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from admin.api.client import ApiError
from schemas.clock import utcnow
from schemas.settings import get_settings
from schemas.tables import NoticeChoice, User
from tests.admin.conftest import PASSWORD


def _user(factory, user_id) -> User:
    with factory() as s:
        return s.get_one(User, user_id)


def _choices(factory, user_id) -> dict[str, list[str]]:
    with factory() as s:
        return {c.category: c.channels for c in s.scalars(select(NoticeChoice).where(NoticeChoice.user_id == user_id))}


def _bearer(client) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.tokens['access_token']}"}


def test_settings_without_channels_and_the_etag(api):
    me = api("res_a", language="en")
    got = me.notice_settings()
    assert got["channels"] == [] and got["email"] is None and got["email_pending"] is None
    assert [c["code"] for c in got["categories"]][:3] == ["service", "reminder", "escalation"]
    assert all(c["channels"] == [] and c["mandatory"] == [] for c in got["categories"])
    assert got["quiet_hours"] == {"start": "22:00", "end": "08:00", "channels": ["sms", "wechat"]}
    first = me.http.get("/me/settings/notices", headers=_bearer(me))
    again = me.http.get("/me/settings/notices", headers={"If-None-Match": first.headers["ETag"], **_bearer(me)})
    assert again.status_code == 304 and again.content == b""
    with pytest.raises(ApiError) as anonymous:
        api().notice_settings()
    assert anonymous.value.status == 401


def test_a_mandatory_channel_cannot_be_switched_off(api, channels, factory, world):
    me = api("res_a")
    got = me.notice_settings()
    assert [c["code"] for c in got["channels"]] == ["email", "sms", "wechat"]
    escalation = next(c for c in got["categories"] if c["code"] == "escalation")
    assert escalation["channels"] == ["sms"] and escalation["mandatory"] == ["sms"]
    with factory() as s:
        s.execute(update(User).where(User.id == world["res_a"]).values(phone="13800000001"))
        s.commit()
    with pytest.raises(ApiError) as refused:
        me.change_notice_settings({"service": ["sms"], "escalation": []})
    assert (refused.value.status, refused.value.code) == (422, "notice.mandatory")
    assert set(refused.value.errors) == {"channels.escalation"} and "短信" in refused.value.errors["channels.escalation"]
    assert _choices(factory, world["res_a"]) == {}  # nothing was saved
    saved = me.change_notice_settings({"service": ["sms"], "escalation": ["sms"]})
    assert next(c for c in saved["categories"] if c["code"] == "service")["channels"] == ["sms"]
    assert saved["phone"] == "138****0001" and saved["verification_sent"] is False
    chosen = _choices(factory, world["res_a"])
    assert chosen["service"] == ["sms"] and chosen["escalation"] == ["sms"] and chosen["reminder"] == ["sms"]
    assert chosen["points"] == []


@pytest.mark.parametrize(("body", "field"), [
    ({"channels": {"service": ["sms"]}}, "channels"),  # no phone number
    ({"channels": {"nonsense": ["email"]}}, "channels"),
    ({"channels": {"service": ["pigeon"]}}, "channels"),
    ({"channels": {}, "email": "not an address"}, "email")])
def test_refused_input_says_which_field(api, channels, factory, world, body, field):
    with pytest.raises(ApiError) as refused:
        api("res_a").put("/me/settings/notices", body)
    assert refused.value.status == 422 and field in refused.value.errors
    assert _choices(factory, world["res_a"]) == {}


def test_a_body_of_the_wrong_shape(api):
    with pytest.raises(ApiError) as refused:
        api("res_a").put("/me/settings/notices", {"channels": "email"})
    assert (refused.value.status, refused.value.code) == (422, "api.invalid")


def test_a_new_address_is_verified_by_its_link(api, channels, factory, world):
    smtp, _ = channels
    me = api("res_a")
    key = "settings-1"
    saved = me.change_notice_settings({"service": ["email"]}, "wang@example.com", key=key)
    assert saved["verification_sent"] is True and saved["email"] is None
    assert saved["email_pending"] == "wang@example.com"
    replayed = me.http.put("/me/settings/notices", json={"channels": {"service": ["email"]}, "email": "wang@example.com"},
                           headers={"Idempotency-Key": key, **_bearer(me)})
    assert replayed.headers["Idempotent-Replayed"] == "true" and len(smtp.messages) == 1  # not mailed twice
    assert _choices(factory, world["res_a"])["service"] == ["email"]
    assert me.resend_verification() == {"email": "wang@example.com", "sent": False}  # within a minute
    with factory() as s:
        s.execute(update(User).where(User.id == world["res_a"]).values(email_token_at=utcnow() - timedelta(minutes=2)))
        s.commit()
    assert me.resend_verification() == {"email": "wang@example.com", "sent": True}
    assert len(smtp.messages) == 2 and smtp.messages[-1]["To"] == "wang@example.com"
    token = re.search(r"/me/email/verify/(\S+)", smtp.messages[-1].get_content()).group(1)
    with pytest.raises(ApiError) as foreign:  # someone else's token
        api("res_a2").confirm_email(token)
    assert (foreign.value.status, foreign.value.code) == (409, "notice.verify_invalid")
    confirmed = me.confirm_email(token)
    assert confirmed["email"] == "wang@example.com" and confirmed["email_pending"] is None
    assert _user(factory, world["res_a"]).email == "wang@example.com"
    with pytest.raises(ApiError) as used:
        me.confirm_email(token)
    assert used.value.code == "notice.verify_invalid"
    kept = me.change_notice_settings({"service": ["email"], "points": ["email"]})  # email left out: kept
    assert kept["email"] == "wang@example.com" and len(smtp.messages) == 2
    removed = me.change_notice_settings({}, None)
    assert removed["email"] is None and _user(factory, world["res_a"]).email is None


def test_nothing_to_verify_and_a_mail_that_does_not_go(api, channels, monkeypatch, factory, world):
    me = api("res_a")
    with pytest.raises(ApiError) as nothing:
        me.resend_verification()
    assert (nothing.value.status, nothing.value.code) == (409, "notice.nothing_to_verify")
    with pytest.raises(ApiError) as bad_body:
        me.post("/me/settings/email/confirm", {"token": ""})
    assert bad_body.value.status == 422
    monkeypatch.setenv("YIJIA_SMTP_PORT", "9")  # nothing listens there
    get_settings.cache_clear()
    with pytest.raises(ApiError) as down:
        me.change_notice_settings({"service": ["email"]}, "wang@example.com")
    assert (down.value.status, down.value.code) == (503, "notice.verify_failed")
    with factory() as s:
        s.execute(update(User).where(User.id == world["res_a"]).values(email_token_at=utcnow() - timedelta(minutes=2)))
        s.commit()
    with pytest.raises(ApiError) as again:
        me.resend_verification()
    assert (again.value.status, again.value.code) == (503, "notice.verify_failed")


def test_no_token_no_settings(api):
    anonymous = api()
    for call in (anonymous.resend_verification, lambda: anonymous.confirm_email("x"),
                 lambda: anonymous.change_notice_settings({})):
        with pytest.raises(ApiError) as refused:
            call()
        assert refused.value.status == 401


# ---- the account ------------------------------------------------------------------------------
NEW_PASSWORD = "lantern-river-1988-spring"


def _sessions(factory, user_id) -> tuple[int, list[str]]:
    from schemas.tables import AppToken, LoginSession

    with factory() as s:
        web = s.scalar(select(func.count()).select_from(LoginSession).where(LoginSession.user_id == user_id))
        return web or 0, sorted(s.scalars(select(AppToken.device).where(AppToken.user_id == user_id)))


def test_changing_my_password_ends_my_other_log_ins(api, login, factory, world):
    from schemas.tables import Event

    web = login("mem1")
    other = api("mem1")
    other.device = "other"
    other.login("mem1", PASSWORD)
    me = api()
    me.device = "this"
    me.login("mem1", PASSWORD)
    assert _sessions(factory, world["mem1"]) == (1, ["other", "python", "this"]) and web.get("/me").status_code == 200
    with pytest.raises(ApiError) as wrong:
        me.change_password("not it", NEW_PASSWORD)
    assert wrong.value.status == 422 and set(wrong.value.errors) == {"current"}
    with pytest.raises(ApiError) as weak:
        me.change_password(PASSWORD, "short")
    assert weak.value.status == 422 and set(weak.value.errors) == {"new"}
    key = "password-1"
    answer = me.post("/me/password", {"current": PASSWORD, "new": NEW_PASSWORD}, key=key)
    assert answer == {"ended": 3}  # the website's and the two other apps'
    assert me.post("/me/password", {"current": PASSWORD, "new": NEW_PASSWORD}, key=key) == {"ended": 3}  # replayed
    assert _sessions(factory, world["mem1"]) == (0, ["this"])
    assert me.me()["username"] == "mem1"
    with pytest.raises(ApiError) as ended:
        other.me()
    assert ended.value.status == 401
    assert web.get("/me").status_code == 302  # the website asks for a log-in again
    api().login("mem1", NEW_PASSWORD)
    with factory() as s:
        assert s.scalars(select(Event.data).where(Event.subject == "users", Event.subject_id == world["mem1"],
                                                  Event.step == "change_password")).all() == [{"sessions_ended": 3}]


def test_password_changes_are_throttled(api):
    me = api("res_a2")
    for _ in range(5):
        with pytest.raises(ApiError) as wrong:
            me.change_password("not it", NEW_PASSWORD)
        assert wrong.value.status == 422
    with pytest.raises(ApiError) as throttled:
        me.change_password("not it", NEW_PASSWORD)
    assert (throttled.value.status, throttled.value.code) == (429, "api.throttled")


def test_sign_out_everywhere_else(api, login, factory, world):
    web = login("res_a")
    other = api("res_a")
    me = api()
    me.device = "this"
    me.login("res_a", PASSWORD)
    assert web.get("/me").status_code == 200
    assert me.sign_out_others() == {"ended": 2}
    assert _sessions(factory, world["res_a"]) == (0, ["this"])
    with pytest.raises(ApiError):
        other.me()
    assert web.get("/me").status_code == 302 and me.me()["username"] == "res_a"
    assert me.sign_out_others() == {"ended": 0}


def test_elder_mode_for_myself(api, factory, world):
    me = api("res_a")
    assert me.elder_mode() is False
    assert me.set_elder_mode(True) is True
    with factory() as s:
        assert s.get_one(User, world["res_a"]).elder_mode is True
    assert me.elder_mode() is True
    assert me.set_elder_mode(False) is False and _user(factory, world["res_a"]).elder_mode is False
    with pytest.raises(ApiError) as bad:
        me.put("/me/elder-mode", {"on": "perhaps"})
    assert bad.value.status == 422
    first = me.http.get("/me/elder-mode", headers=_bearer(me))
    again = me.http.get("/me/elder-mode", headers={"If-None-Match": first.headers["ETag"], **_bearer(me)})
    assert again.status_code == 304


def test_no_token_no_account(api):
    anonymous = api()
    for call in (lambda: anonymous.change_password("a", "b"), anonymous.sign_out_others, anonymous.elder_mode,
                 lambda: anonymous.set_elder_mode(True)):
        with pytest.raises(ApiError) as refused:
            call()
        assert refused.value.status == 401


# ---- writing news -----------------------------------------------------------------------------
def _audit(factory, post_id) -> list[tuple]:
    from schemas.tables import AuditLog

    with factory() as s:
        return [tuple(r) for r in s.execute(select(AuditLog.actor_id, AuditLog.action, AuditLog.before, AuditLog.after)
                                            .where(AuditLog.table_name == "news_posts", AuditLog.row_id == str(post_id))
                                            .order_by(AuditLog.id))]


def test_a_community_admin_writes_edits_and_withdraws_news(api, factory, world):
    from schemas.tables import NewsPost
    from tests.admin.test_portal import PNG

    admin = api("cadm_a")
    cover = admin.upload(PNG, "cover.png", "image/png")
    now = utcnow().replace(microsecond=0)
    key = "news-1"
    posted = admin.write_news(world["ca"], "  社区义诊  ", "周六上午在活动室", summary="义诊", cover=cover,
                              published_at=now.isoformat(), key=key)
    assert admin.write_news(world["ca"], "  社区义诊  ", "周六上午在活动室", summary="义诊", cover=cover,
                            published_at=now.isoformat(), key=key)["id"] == posted["id"]  # replayed, not twice
    assert posted["state"] == "published" and posted["title"] == "社区义诊" and posted["author_id"] == world["cadm_a"]
    assert [n["id"] for n in api().get("/news")["items"]] == [posted["id"]]
    with factory() as s:
        row = s.get_one(NewsPost, posted["id"])
        assert (row.region_id, row.cover, row.author_id) == (world["ca"], cover, world["cadm_a"])
        assert s.scalar(select(func.count()).select_from(NewsPost)) == 1
    ((actor, action, before, after),) = _audit(factory, posted["id"])
    assert (actor, action, before, after["title"]) == (world["cadm_a"], "create", None, "社区义诊")
    edited = admin.edit_news(posted["id"], world["ca"], "社区义诊（改期）", "周日上午在活动室",
                             published_at=now.isoformat(), cover=cover, summary="义诊")
    assert edited["title"] == "社区义诊（改期）"
    assert _audit(factory, posted["id"])[-1] == (world["cadm_a"], "update",
                                                 {"title": "社区义诊", "body": "周六上午在活动室"},
                                                 {"title": "社区义诊（改期）", "body": "周日上午在活动室"})
    withdrawn = admin.withdraw_news(posted["id"])
    assert withdrawn["state"] == "draft" and withdrawn["published_at"] is None
    assert api().get("/news")["items"] == []
    (_, action, before, after) = _audit(factory, posted["id"])[-1]
    assert action == "update" and set(before) == {"published_at"} and after == {"published_at": None}
    from datetime import UTC

    from schemas.clock import as_local

    when = (utcnow() + timedelta(days=30)).replace(microsecond=0)
    later = admin.write_news(world["ca"], "联欢", "晚上七点",  # a time without an offset is Beijing time
                             published_at=as_local(when).replace(tzinfo=None).isoformat())
    assert later["state"] == "scheduled"
    assert later["published_at"] == when.astimezone(UTC).isoformat().replace("+00:00", "Z")
    assert [p["id"] for p in admin.news_posts()] == [later["id"], posted["id"]]
    assert admin.get("/news/posts", limit=1)["next_cursor"]


def test_news_only_for_the_regions_one_governs(api, factory, world):
    from schemas.tables import NewsPost

    mine = api("cadm_a").write_news(world["ca"], "停水通知", "明天上午停水", published_at=utcnow().isoformat())
    other = api("cadm_b")
    for call in (lambda: other.edit_news(mine["id"], world["cb"], "改", "改"), lambda: other.withdraw_news(mine["id"])):
        with pytest.raises(ApiError) as hidden:
            call()
        assert (hidden.value.status, hidden.value.code) == (404, "news.not_found")
    assert other.news_posts() == []
    for who, region in (("cadm_a", "d1"), ("cadm_a", "cb"), ("dadm1", "s1"), ("dadm1", "d2")):
        with pytest.raises(ApiError) as refused:
            api(who).write_news(world[region], "标题", "正文")
        assert refused.value.status == 422 and set(refused.value.errors) == {"region_id"}, (who, region)
    with pytest.raises(ApiError) as moved:  # nor moved out of one's regions
        api("cadm_a").edit_news(mine["id"], world["cb"], "停水通知", "明天上午停水")
    assert moved.value.status == 422
    district = api("dadm1")
    assert [p["id"] for p in district.news_posts()] == [mine["id"]]  # the district admin sees the community's
    assert district.write_news(world["d1"], "区里的通知", "正文")["state"] == "draft"
    for who in ("mem1", "res_a", "orgadm1"):
        with pytest.raises(ApiError) as forbidden:
            api(who).write_news(world["ca"], "标题", "正文")
        assert (forbidden.value.status, forbidden.value.code) == (403, "role")
        with pytest.raises(ApiError) as listing:
            api(who).news_posts()
        assert listing.value.status == 403
        for call in (lambda c: c.edit_news(mine["id"], world["ca"], "改", "改"), lambda c: c.withdraw_news(mine["id"])):
            with pytest.raises(ApiError) as not_theirs:
                call(api(who))
            assert (not_theirs.value.status, not_theirs.value.code) == (403, "role")
    with pytest.raises(ApiError) as blank:
        api("cadm_a").write_news(world["ca"], "   ", "正文")
    assert blank.value.status == 422 and set(blank.value.errors) == {"title"}
    with pytest.raises(ApiError) as unknown_cover:
        api("cadm_a").write_news(world["ca"], "标题", "正文", cover="a" * 32 + ".png")
    assert unknown_cover.value.status == 422 and "cover" in unknown_cover.value.errors
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(NewsPost)) == 2


def test_news_list_etag_cursor_and_no_token(api):
    admin = api("cadm_a")
    first = admin.http.get("/news/posts", headers=_bearer(admin))
    again = admin.http.get("/news/posts", headers={"If-None-Match": first.headers["ETag"], **_bearer(admin)})
    assert again.status_code == 304
    with pytest.raises(ApiError) as bad_cursor:
        admin.get("/news/posts", cursor="not-a-cursor")
    assert bad_cursor.value.status == 400
    with pytest.raises(ApiError) as bad_limit:
        admin.get("/news/posts", limit=0)
    assert bad_limit.value.status == 422
    anonymous = api()
    for call in (anonymous.news_posts, lambda: anonymous.write_news(1, "x", "y"),
                 lambda: anonymous.edit_news(1, 1, "x", "y"), lambda: anonymous.withdraw_news(1)):
        with pytest.raises(ApiError) as refused:
            call()
        assert refused.value.status == 401


def test_every_published_post_is_reached_through_the_pages(api, factory, world):
    """/news stopped at the newest 30 with no way to older posts."""
    from datetime import timedelta

    from schemas.tables import NewsPost

    now = utcnow()
    with factory() as s:
        s.add_all([NewsPost(title=f"通知{n:02d}", body="正文", region_id=world["ca"],
                            published_at=now - timedelta(hours=n)) for n in range(1, 46)])
        s.commit()
    reader = api()
    first = reader.get("/news", limit=20)
    assert len(first["items"]) == 20 and first["next_cursor"]
    assert [n["title"] for n in reader.news()] == [f"通知{n:02d}" for n in range(1, 46)]
    assert reader.get("/news", limit=50)["next_cursor"] is None
