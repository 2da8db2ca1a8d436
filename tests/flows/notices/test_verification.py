"""An e-mail address is used only once its owner opened the link mailed to it (#17): typing
someone else's address sends them nothing but the link; the link works once, for its owner, for
a day; saving again within a minute does not mail again; removing the address needs no proof."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from flows.core.refusals import Refused
from flows.notices import choices, courier, verification
from schemas.clock import utcnow
from schemas.tables import User
from tests.flows.walker import Walker


def _user(factory, user_id):
    with factory() as s:
        return s.get(User, user_id)


def _choose_and_mail(factory, user_id, address, picks=None):
    with factory() as s:
        token = choices.choose(s, user_id, picks or {"service": ["email"]}, address)
        if token:
            verification.send(s.get(User, user_id), address, token)
        return token


def test_a_new_address_is_used_only_after_its_owner_opens_the_link(factory, world, channels):
    smtp, _ = channels
    token = _choose_and_mail(factory, world["res_a"], "wang@example.com")
    assert token and _user(factory, world["res_a"]).email is None
    assert _user(factory, world["res_a"]).email_pending == "wang@example.com"
    (mail,) = smtp.messages
    assert mail["To"] == "wang@example.com" and mail["Subject"] == "请验证您的电子邮箱"
    link = re.search(r"https?://\S+/me/email/verify/(\S+)", mail.get_content()).group(1)
    assert link == token and _user(factory, world["res_a"]).email_token_hash != token  # only the hash is kept
    Walker(factory, world).rated_wish("换灯泡", 5)  # before verification: nothing by mail
    courier.deliver_due(factory)
    assert len(smtp.messages) == 1
    with factory() as s, pytest.raises(Refused):  # someone else cannot use the link
        verification.confirm(s, world["res_a2"], token)
    with factory() as s:
        assert verification.confirm(s, world["res_a"], token) == "wang@example.com"
    with factory() as s, pytest.raises(Refused):  # once
        verification.confirm(s, world["res_a"], token)
    assert _user(factory, world["res_a"]).email == "wang@example.com"
    Walker(factory, world).rated_wish("修水管", 5)
    courier.deliver_due(factory)
    assert len(smtp.messages) == 5 and all(m["To"] == "wang@example.com" for m in smtp.messages)


def test_an_old_link_is_refused_saving_again_does_not_mail_again_and_removing_needs_no_proof(factory, world,
                                                                                             channels):
    smtp, _ = channels
    token = _choose_and_mail(factory, world["res_a"], "wang@example.com")
    assert _choose_and_mail(factory, world["res_a"], "wang@example.com") is None  # within a minute: no second mail
    assert len(smtp.messages) == 1
    with factory() as s, pytest.raises(Refused) as refused:
        verification.confirm(s, world["res_a"], token, now=utcnow() + timedelta(days=1, minutes=1))
    assert refused.value.code == "notice.verify_invalid"
    with factory() as s:
        s.execute(update(User).where(User.id == world["res_a"]).values(email="old@example.com"))
        s.commit()
        choices.choose(s, world["res_a"], {}, "")
    user = _user(factory, world["res_a"])
    assert (user.email, user.email_pending, user.email_token_hash) == (None, None, None)
