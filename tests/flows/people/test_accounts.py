"""Accounts own their transactions through in_transaction: all or nothing, and a refusal
found before anything is written leaves the caller's session as it was."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from flows.core.refusals import Refused
from flows.people import accounts
from flows.people.actors import load_actor
from schemas.tables import Event, MemberRegistration, RegistrationStatus, Skill, User
from tests.world import build_world


def _sign_up(s, world, username="new_user", display_name="新人", **kw):
    return accounts.sign_up(s, username=username, password="a-long-password", display_name=display_name,
                            community_id=world["ca"], as_member=kw.pop("as_member", True), **kw)


def test_a_taken_username_is_refused_and_nothing_is_half_written(factory):
    world = build_world(factory)
    with factory() as s:
        _sign_up(s, world)
    with factory() as s:
        with pytest.raises(Refused) as refused:
            _sign_up(s, world)
        assert refused.value.fields_in("en") == {"username": "This user name is not available, please choose another"}
        assert s.scalar(select(func.count()).select_from(User).where(User.username == "new_user")) == 1
        assert s.scalar(select(func.count()).select_from(MemberRegistration).join(
            User, User.id == MemberRegistration.member_id).where(User.username == "new_user")) == 1


@pytest.mark.parametrize("look_alike", ["NEW_USER", "New_User", " new_user"])
def test_a_name_that_differs_only_in_case_is_taken(factory, look_alike):
    """M0054 beside m0054 would pass for them: the same refusal as for the name itself."""
    world = build_world(factory)
    with factory() as s:
        _sign_up(s, world)
    with factory() as s, pytest.raises(Refused) as refused:
        _sign_up(s, world, username=look_alike.strip())
    assert refused.value.fields_in("zh") == {"username": "这个用户名不可用，请换一个"}


def test_the_database_refuses_a_look_alike_that_races_past_the_check(factory):
    """The unique index on lower(username) (migration 0020) is the last word."""
    from sqlalchemy.exc import IntegrityError

    world = build_world(factory)
    with factory() as s:
        _sign_up(s, world)
    with factory() as s, pytest.raises(IntegrityError):
        s.add(User(username="NEW_user", display_name="x", password_hash="!"))
        s.flush()


@pytest.mark.parametrize("name", ["admin", "Admin_city", "ADMINISTRATOR", "admin2", "root"])
def test_staff_like_names_are_reserved_at_sign_up(factory, name):
    world = build_world(factory)
    with factory() as s, pytest.raises(Refused) as refused:
        _sign_up(s, world, username=name)
    assert set(refused.value.field_messages) == {"username"}


def test_log_in_ignores_the_case_of_the_name(factory):
    world = build_world(factory)
    with factory() as s:
        made = _sign_up(s, world).id
    with factory() as s:
        assert accounts.authenticate(s, "NEW_USER", "a-long-password").id == made
        assert accounts.authenticate(s, " New_User ", "a-long-password").id == made
        assert accounts.authenticate(s, "NEW_USER", "wrong-password") is None


def test_bad_input_leaves_the_callers_work_alone(factory):
    world = build_world(factory)
    with factory() as s:
        s.add(Skill(code="cooking", name="烹饪"))  # the caller's own, not yet committed
        with pytest.raises(Refused) as refused:
            _sign_up(s, world, username="no spaces allowed")
        assert set(refused.value.field_messages) == {"username"}
        s.commit()
    with factory() as s:
        assert s.scalar(select(Skill.id).where(Skill.code == "cooking")) is not None


def test_a_registration_is_decided_once(factory):
    world = build_world(factory)
    with factory() as s:
        registration = s.scalar(select(MemberRegistration).where(MemberRegistration.member_id == world["mem_pending"]))
        registration_id = registration.id
    with factory() as first, factory() as second:
        admin_a, admin_d = load_actor(first, world["cadm_a"]), load_actor(second, world["dadm1"])
        accounts.decide(first, admin_a, "member", registration_id, approve=True)
        with pytest.raises(Refused) as refused:
            accounts.decide(second, admin_d, "member", registration_id, approve=False, reason="重复")
        assert refused.value.code == "registration.decided"
        assert "already been decided" in refused.value.message("en")
    with factory() as s:
        assert s.get(MemberRegistration, registration_id).status is RegistrationStatus.APPROVED
        assert s.scalar(select(func.count()).select_from(Event).where(
            Event.subject == "member_registrations", Event.subject_id == registration_id)) == 1


def test_a_member_sent_back_reports_in_again_and_the_admin_decides_anew(factory):
    """退回 says “…需要重新报到”: reporting in again reopens the registration (once, however often
    tapped); one still pending says it waits; one approved is a duplicate."""
    world = build_world(factory)
    with factory() as s:
        registration_id = s.scalar(select(MemberRegistration.id).where(
            MemberRegistration.member_id == world["mem_pending"]))
        community_id = s.get(MemberRegistration, registration_id).community_id
        with pytest.raises(Refused) as pending:
            accounts.report_in(s, load_actor(s, world["mem_pending"]), community_id)
        assert pending.value.code == "registration.pending"  # waiting, not approved: said so
        accounts.decide(s, load_actor(s, world["cadm_a"]), "member", registration_id, approve=False,
                        reason="请补充单位证明")
    with factory() as s:
        again = accounts.report_in(s, load_actor(s, world["mem_pending"]), community_id)
        assert again.id == registration_id
        with pytest.raises(Refused) as twice:
            accounts.report_in(s, load_actor(s, world["mem_pending"]), community_id)
        assert twice.value.code == "registration.pending"
    with factory() as s:
        row = s.get(MemberRegistration, registration_id)
        assert row.status is RegistrationStatus.PENDING and row.decided_by is None
        steps = [(e.step, e.from_state, e.to_state) for e in s.scalars(select(Event).where(
            Event.subject == "member_registrations", Event.subject_id == registration_id).order_by(Event.id))]
        assert steps[-2:] == [("reject", "pending", "rejected"), ("report_in", "rejected", "pending")]
        accounts.decide(s, load_actor(s, world["cadm_a"]), "member", registration_id, approve=True)
    with factory() as s:
        assert s.get(MemberRegistration, registration_id).status is RegistrationStatus.APPROVED


def test_a_name_of_invisible_characters_is_no_name(factory):
    world = build_world(factory)
    with factory() as s, pytest.raises(Refused) as refused:
        _sign_up(s, world, display_name="\u200b\u200d\u2060")
    assert "display_name" in refused.value.fields
    with factory() as s:
        user = _sign_up(s, world, username="zw_user", display_name="\u200b王\u200b芳\u202e")
        assert s.get(User, user.id).display_name == "王芳"
