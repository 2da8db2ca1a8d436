"""The categories of message a person chooses channels for, and the channels themselves.

A category is the programme's, not a workflow's: a template says which one it belongs to
(`category:` in workflows/notices/templates.yaml), and the settings say which categories are
mandatory on which channels (an overdue case must reach the admin however they set things)."""
from __future__ import annotations

from flows.core.i18n import N_
from schemas.settings import Settings, get_settings

INBOX = "inbox"

# The order is the order of the rows on 通知设置.
CATEGORIES: dict[str, str] = {
    "service": N_("服务进展（心愿、活动）"),
    "reminder": N_("活动提醒与确认"),
    "escalation": N_("超时督办"),
    "account": N_("报到审核结果"),
    "order": N_("积分超市订单"),
    "points": N_("积分到账"),
}

CHANNELS: dict[str, str] = {INBOX: N_("站内消息"), "email": N_("电子邮件"), "sms": N_("短信"), "wechat": N_("微信")}


def configured(settings: Settings | None = None) -> list[str]:
    """The channels besides the inbox that this deployment can send on, in CHANNELS' order."""
    s = settings or get_settings()
    on = {"email": bool(s.smtp_host), "sms": bool(s.sms_url), "wechat": bool(s.wechat_api_url)}
    return [name for name in CHANNELS if on.get(name)]


def mandatory(category: str, settings: Settings | None = None) -> list[str]:
    """The channels a category always uses (when configured), whatever the person chose."""
    s = settings or get_settings()
    return [c for c in s.notice_mandatory.get(category, []) if c in configured(s)]
