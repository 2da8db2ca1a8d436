"""Channels for real: a real SMTP server (aiosmtpd) and a local stand-in for the SMS provider and
WeChat's API, configured through the settings as a deployment would be."""
from __future__ import annotations

import pytest

from tests.standins import Provider, Smtp
from tests.world import build_world


@pytest.fixture
def world(factory):
    return build_world(factory)


@pytest.fixture
def smtp():
    server = Smtp().start()
    yield server
    server.stop()


@pytest.fixture
def provider():
    stand_in = Provider().start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def channels(monkeypatch, smtp, provider):
    """Every channel on, no quiet hours (each test that needs them sets them)."""
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMS_URL": f"{provider.url}/sms",
                        "SMS_API_KEY": "k-test", "WECHAT_API_URL": provider.url, "WECHAT_APP_ID": "wx-test",
                        "WECHAT_APP_SECRET": "s", "WECHAT_TEMPLATE_ID": "tpl-1", "QUIET_HOURS": ""}.items():
        monkeypatch.setenv(f"YIJIA_{name}", value)
    from schemas.settings import get_settings

    get_settings.cache_clear()
    return smtp, provider
