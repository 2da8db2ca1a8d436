"""Joining an organisation: the member asks, the organisation's admins decide; each side is
told, every change is an event, and a decision counts once."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from flows.core.refusals import Refused
from flows.people import accounts, joining
from flows.people.actors import load_actor
from schemas.tables import Event, Member, MemberRegistration, Notification, RegistrationStatus
from tests.world import build_world


@pytest.fixture
def world(factory):
    return build_world(factory)


def _member(factory, user_id) -> Member:
    with factory() as s:
        return s.get_one(Member, user_id)


def _told(factory, user_id, kind) -> list[str]:
    with factory() as s:
        return list(s.scalars(select(Notification.title).where(Notification.user_id == user_id,
                                                                 Notification.kind == kind)))


def test_a_member_asks_and_belongs_only_once_the_organisation_approves(factory, world):
    with factory() as s:
        joining.ask(s, load_actor(s, world["mem1"]), world["org2"])
    asked = _member(factory, world["mem1"])
    assert (asked.org_id, asked.org_requested_id) == (world["org1"], world["org2"])  # still org1's until then
    assert _told(factory, world["orgadm2"], "org_join_requested") == ["入组申请：mem1"]
    assert _told(factory, world["orgadm1"], "org_join_requested") == []
    with factory() as s:
        assert [r.member_id for r in joining.pending(s, load_actor(s, world["orgadm2"]))] == [world["mem1"]]
        assert joining.pending(s, load_actor(s, world["orgadm1"])) == []
        # another organisation's admin may not decide it; nor may the member
        for who in ("orgadm1", "mem1"):
            with pytest.raises(Refused) as refused:
                joining.decide(s, load_actor(s, world[who]), world["mem1"], world["org2"], True)
            assert refused.value.code == "join.not_found"
        joining.decide(s, load_actor(s, world["orgadm2"]), world["mem1"], world["org2"], True)
    joined = _member(factory, world["mem1"])
    assert (joined.org_id, joined.org_requested_id, joined.org_requested_at) == (world["org2"], None, None)
    assert _told(factory, world["mem1"], "org_join_approved") == ["已加入税务局党支部"]
    with factory() as s, pytest.raises(Refused) as again:  # the second tap, or a second admin
        joining.decide(s, load_actor(s, world["orgadm2"]), world["mem1"], world["org2"], False)
    assert again.value.code == "join.decided"
    with factory() as s:
        steps = list(s.scalars(select(Event.step).where(Event.subject == "members",
                                                        Event.subject_id == world["mem1"]).order_by(Event.id)))
    assert steps == ["ask_org", "join_org"]


def test_declined_leaving_and_asking_again(factory, world):
    with factory() as s:
        joining.ask(s, load_actor(s, world["mem2"]), world["org2"])
    with factory() as s:
        joining.ask(s, load_actor(s, world["mem2"]), world["org2"])  # the same request: nothing new
    assert len(_told(factory, world["orgadm2"], "org_join_requested")) == 1
    with factory() as s:
        joining.decide(s, load_actor(s, world["orgadm2"]), world["mem2"], world["org2"], False)
    declined = _member(factory, world["mem2"])
    assert (declined.org_id, declined.org_requested_id) == (world["org1"], None)
    assert _told(factory, world["mem2"], "org_join_rejected") == ["入组申请未通过：税务局党支部"]
    with factory() as s:  # leaving needs nobody's leave, and withdraws a waiting request
        joining.ask(s, load_actor(s, world["mem2"]), world["org2"])
    with factory() as s:
        joining.ask(s, load_actor(s, world["mem2"]), None)
    left = _member(factory, world["mem2"])
    assert (left.org_id, left.org_requested_id) == (None, None)
    with factory() as s:
        assert joining.pending(s, load_actor(s, world["orgadm2"])) == []
        with pytest.raises(Refused) as unknown:
            joining.ask(s, load_actor(s, world["mem2"]), 10**9)
        assert unknown.value.code == "input"
        with pytest.raises(Refused) as resident:
            joining.ask(s, load_actor(s, world["res_a"]), world["org1"])
        assert resident.value.code == "role"


def test_naming_an_organisation_at_sign_up_asks_it(factory, world):
    with factory() as s:
        user = accounts.sign_up(s, username="newmem", password="green-hill-2026", display_name="新党员",
                                community_id=world["ca"], as_member=True, org_id=world["org1"])
        new_id = user.id
    member = _member(factory, new_id)
    assert (member.org_id, member.org_requested_id) == (None, world["org1"])
    assert member.work_unit is None  # what they typed: the organisation is not theirs until it approves
    assert _told(factory, world["orgadm1"], "org_join_requested") == ["入组申请：新党员"]
    with factory() as s:  # their 报到 waits for the community: the organisation sees that beside the request
        (asking,) = [r for r in joining.pending(s, load_actor(s, world["orgadm1"])) if r.member_id == new_id]
        assert asking.reported_in is False
        registration = s.scalar(select(MemberRegistration).where(MemberRegistration.member_id == new_id))
        registration.status = RegistrationStatus.APPROVED
        s.commit()
        (asking,) = [r for r in joining.pending(s, load_actor(s, world["orgadm1"])) if r.member_id == new_id]
        assert asking.reported_in is True


def test_a_change_read_before_an_approval_landed_is_refused_not_written_over_it(factory, world):
    with factory() as s:
        joining.ask(s, load_actor(s, world["mem2"]), world["org2"])
    with factory() as member_side, factory() as admin_side:
        stale = load_actor(member_side, world["mem2"])
        read = member_side.get_one(Member, world["mem2"])  # the member's request read the row: asking, in org1
        assert (read.org_id, read.org_requested_id) == (world["org1"], world["org2"])
        joining.decide(admin_side, load_actor(admin_side, world["orgadm2"]), world["mem2"], world["org2"], True)
        with pytest.raises(Refused) as refused:
            joining.ask(member_side, stale, None)  # "leave" meant org1, which they no longer are in
        assert refused.value.code == "conflict"
    assert _member(factory, world["mem2"]).org_id == world["org2"]


def test_deciding_for_someone_who_never_asked_is_not_found(factory, world):
    with factory() as s, pytest.raises(Refused) as refused:
        joining.decide(s, load_actor(s, world["orgadm2"]), world["mem1"], world["org2"], True)
    assert refused.value.code == "join.not_found"
    with factory() as s:
        assert joining.count(s, load_actor(s, world["orgadm2"])) == 0
        joining.ask(s, load_actor(s, world["mem1"]), world["org2"])
    with factory() as s:
        assert joining.count(s, load_actor(s, world["orgadm2"])) == 1


def test_a_deactivated_account_waits_for_no_one(factory, world):
    """An account switched off after asking is neither listed, nor counted, nor decided."""
    from schemas.tables import User

    with factory() as s:
        joining.ask(s, load_actor(s, world["mem1"]), world["org2"])
    with factory() as s:
        assert joining.count(s, load_actor(s, world["orgadm2"])) == 1
        s.get_one(User, world["mem1"]).is_active = False
        s.commit()
    with factory() as s:
        admin = load_actor(s, world["orgadm2"])
        assert joining.pending(s, admin) == [] and joining.count(s, admin) == 0
        with pytest.raises(Refused) as refused:
            joining.decide(s, admin, world["mem1"], world["org2"], True)
        assert refused.value.code == "join.not_found"


def test_a_request_decided_twice_is_told_decided_even_without_its_asking_on_record(factory, world):
    """A request written without its `ask_org` event (the demo's, an import's): the second
    decision reads the first one's event, and says decided, not 'not found'."""
    from sqlalchemy import update

    with factory() as s:
        s.execute(update(Member).where(Member.user_id == world["mem2"]).values(org_requested_id=world["org2"]))
        s.commit()
    with factory() as s:
        joining.decide(s, load_actor(s, world["orgadm2"]), world["mem2"], world["org2"], False)
    with factory() as s, pytest.raises(Refused) as again:
        joining.decide(s, load_actor(s, world["orgadm2"]), world["mem2"], world["org2"], True)
    assert again.value.code == "join.decided"


def test_an_organisations_admin_takes_a_member_off_its_list_once(factory, world):
    """移出组织: only the organisation's own admins; the member is told, it is an event, and a
    second tap (or a colleague's) finds them gone rather than doing it twice."""
    with factory() as s:
        for who in ("orgadm2", "mem2"):  # another organisation's admin; a fellow member
            with pytest.raises(Refused) as refused:
                joining.remove(s, load_actor(s, world[who]), world["mem1"], world["org1"])
            assert refused.value.code == "join.not_found"
        assert joining.remove(s, load_actor(s, world["orgadm1"]), world["mem1"], world["org1"]) == "mem1"
    assert _member(factory, world["mem1"]).org_id is None
    assert _told(factory, world["mem1"], "org_removed") == ["您已被移出财政局党支部"]
    with factory() as s, pytest.raises(Refused) as again:
        joining.remove(s, load_actor(s, world["orgadm1"]), world["mem1"], world["org1"])
    assert again.value.code == "org.not_member"
    with factory() as s:
        events = s.execute(select(Event.step, Event.actor_id).where(Event.subject == "members",
                                                                     Event.subject_id == world["mem1"])).all()
    assert [tuple(e) for e in events] == [("remove_org", world["orgadm1"])]
    assert len(_told(factory, world["mem1"], "org_removed")) == 1
