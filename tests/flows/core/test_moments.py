"""A time inside a message or a refusal is written as the pages write dates (12月1日 19:48),
in its reader's language, in Beijing time — never 12-01 19:48 (#21's walk)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flows.core.i18n import render
from flows.core.moments import Moment
from flows.notices import templates as notice_templates
from schemas.clock import utcnow


def test_a_moment_reads_like_the_pages_in_either_language():
    this_year = utcnow().year
    at = datetime(this_year, 12, 1, 11, 48, tzinfo=UTC)  # 19:48 in Beijing
    assert Moment(at).render() == "12月1日 19:48"
    assert Moment(at).render("en") == "1 Dec 19:48"
    assert str(Moment(at)) == "12月1日 19:48"


def test_the_year_is_said_only_when_it_is_not_this_one():
    at = datetime(utcnow().year - 1, 3, 5, 1, 0, tzinfo=UTC)
    assert Moment(at).render() == f"{at.year}年3月5日 09:00"
    assert Moment(at).render("en_US") == f"5 Mar {at.year} 09:00"


def test_midnight_in_beijing_moves_the_date():
    at = datetime(utcnow().year, 6, 30, 16, 30, tzinfo=UTC)
    assert Moment(at).render() == "7月1日 00:30"


def test_a_refusal_and_a_template_write_their_times_in_the_readers_language():
    at = (utcnow() + timedelta(days=1)).replace(hour=6, minute=0, second=0, microsecond=0)
    here = at + timedelta(hours=8)
    assert render("guard.after_start", {"start": Moment(at)}) == f"还没到时间：{here.month}月{here.day}日 14:00 开始后才能办理"
    assert f"{here.day} " in render("guard.after_start", {"start": Moment(at)}, "en")
    template = notice_templates.shipped()["activity_grabbed"]
    values = {"title": "清扫楼道", "community": "旭日社区", "place": "3号楼", "starts_at": Moment(at)}
    assert f"{here.month}月{here.day}日 14:00 开始" in notice_templates.render(template, values)[1]
    assert "14:00" in notice_templates.render(template, values, "en")[1]
    assert "月" not in notice_templates.render(template, values, "en")[1]


def test_a_refusal_says_today_as_the_page_beside_it_does():
    """A refusal is read the moment it is said: 今天 14:00, as the page says, where a message read
    later keeps the date (it may be read tomorrow)."""
    from schemas.clock import as_local

    local_now = as_local(utcnow())
    for days, zh, en in [(0, "今天", "today"), (1, "明天", "tomorrow"), (-1, "昨天", "yesterday")]:
        at = (local_now + timedelta(days=days)).replace(hour=14, minute=0, second=0, microsecond=0)
        assert Moment(at, relative=True).render() == f"{zh} 14:00"
        assert render("guard.after_start", {"start": Moment(at, relative=True)}, "en").endswith(f"at 14:00 {en}")
        assert Moment(at).render() == f"{at.month}月{at.day}日 14:00"  # a message keeps the date
    later = (local_now + timedelta(days=3)).replace(hour=9, minute=0)
    assert Moment(later, relative=True).render() == f"{later.month}月{later.day}日 09:00"
