"""A district's own wording of the shipped message templates (console → 消息模板).

The shipped file says which templates exist, which category each belongs to and which fields
a message may use; a district may only reword one. What it saves is checked like the file:
bounded, only the known fields, braces balanced — so a saved wording cannot fail when a
message is written, and the preview shows it filled with a sample demand."""
from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.core import journal
from flows.core.db import in_transaction
from flows.core.i18n import N_
from flows.core.refusals import Refused
from flows.core.text import visible
from flows.notices import templates
from schemas.clock import utcnow
from schemas.tables import NoticeTemplateOverride

# What the preview fills a template with: a demand as a resident would see one.
SAMPLE: dict[str, Any] = {"points": 20, "balance": 135, "reason": "帮忙更换楼道灯泡", "item": "洗衣液",
                          "quantity": 1, "code": "A7K2Q9", "expires_at": "12-13", "org": "市财政局党支部",
                          "decision": "通过", "id": 1024, "title": "帮忙更换楼道灯泡", "description": "三单元二楼楼道灯坏了",
                          "place": "旭日社区 3 号楼", "starts_at": "12-06 09:00", "ends_at": "12-06 11:00",
                          "capacity": 5, "community": "旭日社区", "state": "进行中"}


# How long a process keeps a district's wording before reading it again. A message is composed
# in the transaction of almost every step (a claim tells the requester), and reading the
# override there was one statement in ten on the claim path; a rewording is rare and reaches
# every process within this time (the process that saved it, at once).
KEEP_SECONDS = 5.0
_kept: dict[tuple[str, int, str], tuple[float, templates.Template | None]] = {}


def effective(session: Session, district_id: int | None, name: str, *, fresh: bool = False) -> templates.Template | None:
    """The template `name` as the district words it (its override, else the shipped one);
    `fresh` reads it again (the console, where an admin edits what they see)."""
    shipped = templates.shipped().get(name)
    if shipped is None or district_id is None:
        return shipped
    key = (_database(session), district_id, name)
    kept = _kept.get(key)
    if kept is not None and kept[0] > time.monotonic() and not fresh:
        return kept[1] or shipped
    row = session.scalar(select(NoticeTemplateOverride).where(NoticeTemplateOverride.district_id == district_id,
                                                              NoticeTemplateOverride.name == name))
    found = None if row is None else as_template(row, shipped.category)
    _kept[key] = (time.monotonic() + KEEP_SECONDS, found)
    return found or shipped


def forget() -> None:
    """Read every wording again at its next use (after a save; tests between databases)."""
    _kept.clear()


def _database(session: Session) -> str:
    """Which database the wording is kept for: one process may serve several (tests)."""
    return session.get_bind().engine.url.render_as_string(hide_password=True)


def _model(category: str, title_zh: str, text_zh: str, title_en: str | None, text_en: str | None,
           sms_zh: str | None, sms_en: str | None) -> templates.Template:
    return templates.Template.model_validate({
        "title": {"zh": title_zh, "en": title_en or None}, "text": {"zh": text_zh, "en": text_en or None},
        "sms": {"zh": sms_zh, "en": sms_en or None} if sms_zh else None, "category": category})


def as_template(row: NoticeTemplateOverride, category: str = "service") -> templates.Template:
    return _model(category, row.title_zh, row.text_zh, row.title_en, row.text_en, row.sms_zh, row.sms_en)


def check(name: str, title_zh: str, text_zh: str, title_en: str | None = None, text_en: str | None = None,
          sms_zh: str | None = None, sms_en: str | None = None) -> templates.Template:
    """The wording as a template, or Refused with a sentence beside each wrong field."""
    shipped = templates.shipped().get(name)
    if shipped is None:
        raise Refused("input", fields={"name": N_("没有这个消息模板")})
    parts = {"title_zh": title_zh, "text_zh": text_zh, "title_en": title_en or "", "text_en": text_en or "",
             "sms_zh": sms_zh or "", "sms_en": sms_en or ""}
    wrong: dict[str, str] = {}
    for field, value in parts.items():
        limit = 500 if field.startswith("text") else 200
        if field in ("title_zh", "text_zh") and not visible(value):
            wrong[field] = N_("必填")
        elif field == "sms_en" and value and not parts["sms_zh"]:
            wrong[field] = N_("先写中文短信")
        elif not field.startswith("text") and ("\n" in value or "\r" in value):
            wrong[field] = N_("标题只能写一行")
        elif len(value) > limit:
            wrong[field] = N_("太长了")
        elif set(templates.variables(value)) - shipped.allowed():
            wrong[field] = N_("只能使用列出的字段，如 {title}；大括号本身写成 {{ 或 }}")
    if wrong:
        raise Refused("input", fields=wrong)
    try:
        return _model(shipped.category, title_zh, text_zh, title_en, text_en, sms_zh, sms_en)
    except ValidationError as exc:  # the bounds above are the model's; this is a safety net
        raise Refused("input", fields={"text_zh": N_("内容不符合要求")}) from exc


def save(session: Session, *, district_id: int, name: str, title_zh: str, text_zh: str, title_en: str | None,
         text_en: str | None, actor_id: int | None, sms_zh: str | None = None, sms_en: str | None = None,
         now: datetime | None = None) -> NoticeTemplateOverride:
    """Store the district's wording (checked first); one event in the log."""
    check(name, title_zh, text_zh, title_en, text_en, sms_zh, sms_en)

    def work() -> NoticeTemplateOverride:
        row = session.scalar(select(NoticeTemplateOverride).where(
            NoticeTemplateOverride.district_id == district_id, NoticeTemplateOverride.name == name))
        if row is None:
            row = NoticeTemplateOverride(district_id=district_id, name=name)
            session.add(row)
        row.title_zh, row.text_zh = title_zh, text_zh
        row.title_en, row.text_en = title_en or None, text_en or None
        row.sms_zh, row.sms_en = sms_zh or None, sms_en or None
        row.updated_at = now or utcnow()
        session.flush()
        journal.record(session, subject="regions", subject_id=district_id, step="notice_template",
                       from_state=None, to_state=None, actor_id=actor_id, data={"name": name}, at=now or utcnow())
        return row

    saved = in_transaction(session, work)
    forget()
    return saved


def preview(template: templates.Template, locale: str = "zh") -> tuple[str, str]:
    """(title, text) of the template filled with the sample demand."""
    return templates.render(template, SAMPLE, locale)


def preview_short(template: templates.Template, locale: str = "zh") -> str:
    """The SMS and WeChat sentence filled with the sample demand."""
    return templates.render_short(template, SAMPLE, locale)
