"""Notifications: one row per (event, recipient, channel), written in the transaction of the
step that causes it, so a notice is never lost and never sent twice (the outbox of #17)."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from schemas.tables.base import Base, created_at, str_enum
from schemas.tables.demands import BigId


class NoticeStatus(str, enum.Enum):
    """Where a delivery stands. The inbox is delivered when written (`sent`); other channels
    wait `queued` for the worker, which marks them `sent`, or `failed` while it retries and
    `gave_up` when the retries are spent."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    GAVE_UP = "gave_up"


class Notification(Base):
    """A message to one person on one channel about one event (usually of a demand).

    The unique key (event, recipient, channel) makes "once" hold however often the step that
    writes it is replayed; `read_at` is set when the recipient opens it from their inbox."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("event_id", "user_id", "channel"),
                      Index("ix_notifications_user_unread", "user_id", "read_at", "id"),
                      Index("ix_notifications_courier", "status", "due_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16), default="inbox")
    demand_id: Mapped[int | None] = mapped_column(ForeignKey("demands.id"), index=True)
    # The community the message is about (the demand's, the order's shop, the report-in's): whose
    # admins may see its delivery. None: city-wide, for the city admin.
    community_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(48))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    # An inbox row's words in the other languages, written with it ({"en": [title, body]}): the
    # inbox shows each message in the language its reader reads now, not the one of the moment
    # it was sent. None: a row from before, or a message with no translation (the Chinese shown).
    texts: Mapped[dict[str, list[str]] | None] = mapped_column(JSON)
    status: Mapped[NoticeStatus] = mapped_column(str_enum(NoticeStatus, 16), default=NoticeStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
    sent_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
    # Not before this time (quiet hours, a retry's back-off, a courier's lease while it sends);
    # None: at once. The courier takes `queued`/`failed` rows whose time has come.
    due_at: Mapped[datetime | None]
    # The provider's id of the message it accepted (a receipt for the admin and for support).
    provider_ref: Mapped[str | None] = mapped_column(String(120))


class NoticeChoice(Base):
    """The channels a person chose for one category of message (besides the inbox, always on).
    No row: the programme's default for that kind. Mandatory channels are added whatever
    the row says (settings.notice_mandatory)."""

    __tablename__ = "notice_choices"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(String(24), primary_key=True)
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)


class NoticeTemplateOverride(Base):
    """A district's own wording of a shipped template (console → 消息模板): what its people read
    instead of the shipped text. Checked when saved: only the demand's fields, bounded length."""

    __tablename__ = "notice_template_overrides"
    __table_args__ = (UniqueConstraint("district_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    name: Mapped[str] = mapped_column(String(48))
    title_zh: Mapped[str] = mapped_column(String(200))
    text_zh: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str | None] = mapped_column(String(200))
    text_en: Mapped[str | None] = mapped_column(String(500))
    sms_zh: Mapped[str | None] = mapped_column(String(200))
    sms_en: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = created_at()
