"""Messages in the console (#17): deliveries and their statuses within the admin's regions,
sending failed ones again, the failures on the dashboard, and each district's wording of the
templates — previewed, checked, saved for that district only, read-only below district level."""
from __future__ import annotations

from sqlalchemy import select

from flows.core import journal
from flows.notices import overrides
from schemas.tables import NoticeStatus, NoticeTemplateOverride, Notification
from tests.flows.walker import Walker


def _failed_sms(factory, user_id, kind, community_id) -> int:
    with factory() as s:
        event_id = journal.record(s, subject="users", subject_id=user_id, step="test", from_state=None,
                                  to_state=None, actor_id=None)
        row = Notification(event_id=event_id, user_id=user_id, channel="sms", kind=kind, title="秘密取货码 ZX81",
                           body="秘密取货码 ZX81", status=NoticeStatus.GAVE_UP, attempts=6, last_error="400 from the provider",
                           community_id=community_id)
        s.add(row)
        s.commit()
        return row.id


def test_deliveries_are_seen_within_the_admins_regions_and_failed_ones_sent_again(world, factory, login):
    ours = _failed_sms(factory, world["res_a"], "kind_of_ca", world["ca"])
    theirs = _failed_sms(factory, world["res_b"], "kind_of_cb", world["cb"])
    admin = login("cadm_a")
    page = admin.get("/admin/deliveries/").get_data(as_text=True)
    assert "kind_of_ca" in page and "kind_of_cb" not in page and "已放弃" in page
    assert "秘密取货码" not in page + admin.get(f"/admin/deliveries/details/?id={ours}").get_data(as_text=True)
    assert admin.get(f"/admin/deliveries/details/?id={theirs}").status_code in (302, 404)
    dashboard = admin.get("/admin/").get_data(as_text=True)
    assert "消息发送失败（1）" in dashboard and "kind_of_ca" in dashboard and "秘密取货码" not in dashboard
    token = _action_token(admin)
    answer = admin.post("/admin/deliveries/action/", data={"action": "retry", "rowid": [str(ours), str(theirs)],
                                                           "csrf_token": token})
    assert answer.status_code == 302
    with factory() as s:
        assert s.get(Notification, ours).status == NoticeStatus.QUEUED and s.get(Notification, ours).attempts == 0
        assert s.get(Notification, theirs).status == NoticeStatus.GAVE_UP  # out of reach: untouched
    assert "消息发送失败（0）" in admin.get("/admin/").get_data(as_text=True)
    assert "kind_of_cb" in login("cityadm").get("/admin/deliveries/").get_data(as_text=True)


def _action_token(client) -> str:
    import re

    page = client.get("/admin/deliveries/").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_a_district_admin_rewords_a_template_with_a_preview_for_their_district_only(world, factory, login):
    admin = login("dadm1")
    listing = admin.get("/admin/notice_templates/").get_data(as_text=True)
    assert "wish_claimed" in listing and "order_ready" in listing
    form = {"title_zh": "好消息：{title} 有人认领了", "text_zh": "请保持电话畅通。", "title_en": "", "text_en": ""}
    preview = admin.post("/admin/notice_templates/wish_claimed", data={**form, "preview": "1", "csrf_token": _csrf(admin)})
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "好消息：帮忙更换楼道灯泡 有人认领了" in page
    with factory() as s:
        assert s.scalars(select(NoticeTemplateOverride)).all() == []  # a preview saves nothing
    bad = admin.post("/admin/notice_templates/wish_claimed",
                     data={**form, "title_zh": "{points} 积分", "save": "1", "csrf_token": _csrf(admin)})
    assert "只能使用列出的字段" in bad.get_data(as_text=True)
    saved = admin.post("/admin/notice_templates/wish_claimed", data={**form, "save": "1", "csrf_token": _csrf(admin)})
    assert saved.status_code == 302
    with factory() as s:
        (row,) = s.scalars(select(NoticeTemplateOverride)).all()
        assert (row.district_id, row.name, row.title_zh) == (world["d1"], "wish_claimed", form["title_zh"])
    walk = Walker(factory, world).rated_wish("修水管", 5)  # a wish of 伊美区 reads the new words
    with factory() as s:
        titles = s.scalars(select(Notification.title).where(Notification.demand_id == walk.demand_id)).all()
        assert "好消息：修水管 有人认领了" in titles
        assert overrides.effective(s, world["d2"], "wish_claimed").title.zh == "您的心愿已被认领：{title}"
    assert admin.get(f"/admin/notice_templates/?district={world['d2']}").status_code == 404  # not theirs
    reader = login("cadm_a")  # a community admin reads their district's wording, changes nothing
    assert "好消息" in reader.get("/admin/notice_templates/").get_data(as_text=True)
    assert reader.post("/admin/notice_templates/wish_claimed",
                       data={**form, "save": "1", "csrf_token": _csrf(reader)}).status_code == 403
    assert admin.get("/admin/notice_templates/nonexistent").status_code == 404


def _csrf(client) -> str:
    import re

    page = client.get("/admin/notice_templates/wish_claimed").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_deliveries_and_the_audit_trail_read_in_peoples_words(world, factory, login):
    """消息投递 showed `publish:notify` and 操作记录 `user:138`, `posting：218`: the step's title
    from the demand's workflow with 通知, a template by its title, a person by name."""
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "修水管"})
    walk.act("cadm_a", "publish")  # tells res_a: a `publish:notify` message
    ordered = _failed_sms(factory, world["res_a"], "order_ready", world["ca"])
    admin = login("cadm_a")
    page = admin.get("/admin/deliveries/").get_data(as_text=True)
    assert "审核发布 · 通知" in page and "publish:notify" not in page
    assert "兑换成功，可以领取：…" in page and "order_ready" not in page
    assert "order_ready" not in admin.get(f"/admin/deliveries/details/?id={ordered}").get_data(as_text=True)
    assert "兑换成功，可以领取：…" in admin.get("/admin/").get_data(as_text=True)  # the dashboard's failures

    adjusted = admin.post("/manage", data={"action": "adjust", "user_id": str(world["mem1"]), "amount": "5",
                                           "reason": "补录服务"})
    assert adjusted.status_code == 302
    trail = admin.get("/admin/auditlog/").get_data(as_text=True)
    assert "调整积分" in trail and "mem1（mem1）" in trail and "积分流水号" in trail
    assert f"user:{world['mem1']}" not in trail and "posting" not in trail
    english = admin.get("/admin/deliveries/?lang=en").get_data(as_text=True)
    assert "Review and publish · " in english and "publish:notify" not in english


def test_a_time_in_the_audit_trail_reads_in_beijing_time():
    """操作记录 showed a news post's 发布时间 as `2026-11-29T04:31:01.298980+00:00` (the walk)."""
    from admin.console.secure import audit_value

    assert audit_value("2026-11-29T04:31:01.298980+00:00") == "2026-11-29 12:31"
    assert audit_value("2026-11-29T04:31Z") == "2026-11-29 12:31"
    assert audit_value("2026-11-29 是个好日子") == "2026-11-29 是个好日子"  # text that only starts like a date
