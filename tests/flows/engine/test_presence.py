"""Signing in and out at the door (`guards: [in_time_window, on_site]`): without the code of the
activity's QR code nothing is recorded, whoever asks; an admin confirming attendance for a
participant vouches instead. The code is the demand's own, under the web's key."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from flows.core.refusals import Refused
from flows.engine import presence
from schemas.tables import ServiceRecord
from tests.flows.walker import Walker
from tests.world import NOW, build_world

START = NOW + timedelta(days=2)


@pytest.fixture
def running(factory):
    world = build_world(factory)
    walk = Walker(factory, world).recruiting_activity("清雪", 5, START)
    walk.act("mem2", "sign_up")
    walk.act("cadm_a", "begin", now=START - timedelta(hours=2))
    return walk


def _record(factory, walk, user):
    with factory() as s:
        return s.scalar(select(ServiceRecord).where(ServiceRecord.demand_id == walk.demand_id,
                                                    ServiceRecord.user_id == walk.w[user]))


def test_away_from_the_door_nothing_is_recorded(factory, running):
    for step in ("sign_in", "sign_out"):
        with pytest.raises(Refused) as refused:
            running.act("mem1", step, now=START, present=False)
        assert refused.value.code == "guard.on_site"
    assert _record(factory, running, "mem1") is None
    running.act("mem1", "sign_in", now=START)  # scanned at the door
    with pytest.raises(Refused):
        running.act("mem1", "sign_out", now=START + timedelta(hours=1), present=False)
    running.act("mem1", "sign_out", now=START + timedelta(hours=1))
    assert _record(factory, running, "mem1").hours == 1


def test_an_admin_vouches_for_who_cannot_scan(factory, running):
    from flows import engine

    with factory() as s:
        engine.act(s, running.w["cadm_a"], running.demand_id, "sign_in", {}, now=START,
                   on_behalf_of=running.w["mem2"])
    assert _record(factory, running, "mem2").signed_in_at is not None


def test_the_code_is_the_demands_own_under_the_key_for_twenty_minutes():
    key, at = "k" * 40, 1_800_000_000.0  # the start of a ten-minute window
    code = presence.code(key, 41, at)
    assert len(code) == presence.LENGTH and code.isalnum() and code.isupper()
    assert presence.verify(key, 41, code, at) and presence.verify(key, 41, f" {code.lower()[:6]} {code[6:]} ", at)
    assert presence.verify(key, 41, code, at + 1199)  # its ten minutes and the next
    assert not presence.verify(key, 41, code, at + 1200)  # kept in a history, an hour later: no
    assert not presence.verify(key, 41, code, at - 1)  # nor before its time
    assert presence.code(key, 41, at + 600) != code
    assert not presence.verify(key, 42, code, at)  # another activity's
    assert not presence.verify("j" * 40, 41, code, at)  # another deployment's (or an old key's)
    assert not presence.verify(key, 41, None, at) and not presence.verify("", 41, code, at)
    assert not presence.verify(key, 41, "码" * 12, at)
