"""放弃抢单: the organisation that grabbed an activity gives it up. Its claim and the places its
members took through it are released (residents who volunteered keep theirs), the activity is
open to grab again, and the released members and the community's admins are told."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from flows.core.refusals import Refused
from flows.engine import history
from flows.workflow import registry
from flows.workflow.compiler import WorkflowInvalid, compile_source
from schemas.settings import ROOT
from schemas.tables import Claim, ClaimStatus, Demand, Event, Notification
from tests.flows.walker import Walker
from tests.world import NOW, build_world


@pytest.fixture
def world(factory):
    return build_world(factory)


def test_an_organisation_gives_up_what_it_grabbed(factory, world):
    walk = Walker(factory, world).recruiting_activity("清扫楼道", 5, NOW + timedelta(days=3))  # org1 grabbed, mem1 in
    walk.act("mem2", "sign_up")
    walk.act("res_a", "volunteer")
    for who in ("mem1", "orgadm2", "cadm_a"):  # a member, another organisation, the community: not theirs
        with pytest.raises(Refused):
            walk.act(who, "give_up")
    walk.act("orgadm1", "give_up")
    assert walk.state() == "open"
    with factory() as s:
        demand = s.get_one(Demand, walk.demand_id)
        assert (demand.org_id, demand.taken) == (None, 1)  # res_a's place stays
        claims = {(c.org_id, c.user_id): c.status for c in s.scalars(select(Claim).where(
            Claim.demand_id == walk.demand_id))}
        assert claims == {(world["org1"], None): ClaimStatus.WITHDRAWN, (None, world["mem1"]): ClaimStatus.WITHDRAWN,
                          (None, world["mem2"]): ClaimStatus.WITHDRAWN, (None, world["res_a"]): ClaimStatus.ACTIVE}
        told = {user for (user,) in s.execute(select(Notification.user_id).where(
            Notification.demand_id == walk.demand_id, Notification.kind == "give_up:notify"))}
        assert told == {world["mem1"], world["mem2"], world["cadm_a"]}  # not res_a, who still comes
        # the message names the organisation that gave up, although the demand no longer does
        titles = set(s.scalars(select(Notification.title).where(
            Notification.demand_id == walk.demand_id, Notification.kind == "give_up:notify")))
        assert titles == {"财政局党支部已放弃活动：清扫楼道"}
        event = s.scalar(select(Event).where(Event.demand_id == walk.demand_id, Event.step == "give_up"))
        assert event.actor_id == world["orgadm1"] and event.data["org_id"] == world["org1"]
        assert sorted(event.data["released_users"]) == sorted([world["mem1"], world["mem2"]])
    with pytest.raises(Refused) as gone:  # the organisation's members may no longer sign up
        walk.act("mem1", "sign_up")
    assert gone.value.code in ("state", "role", "relation")
    walk.act("orgadm1", "grab")  # open to grab again; the members sign up anew
    walk.act("mem1", "sign_up")
    with factory() as s:
        assert s.get_one(Demand, walk.demand_id).taken == 2
        demand = s.get_one(Demand, walk.demand_id)
        workflow = registry.load(s, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
        named = [(e["step"], e["who"], e["official"]) for e in history.timeline(s, walk.demand_id, workflow)
                 if e["step"] in ("grab", "give_up")]
    # the organisation acted each time, not the admin who tapped for it
    assert named == [("grab", "财政局党支部", True), ("give_up", "财政局党支部", True), ("grab", "财政局党支部", True)]


def test_giving_up_is_for_the_claiming_organisations_admins_only():
    source = (ROOT / "workflows" / "joint_activity.yaml").read_text("utf-8")
    with pytest.raises(WorkflowInvalid) as wrong:
        compile_source(source.replace("    by: claiming_org_admin\n    from: recruiting\n    to: open\n",
                                      "    by: community_admin\n    from: recruiting\n    to: open\n"), "joint_activity.yaml")
    assert [p.code for p in wrong.value.problems] == ["wf.give_up_by"]
    with pytest.raises(WorkflowInvalid) as stuck:  # given up, it must be open to grab again
        compile_source(source.replace("    by: claiming_org_admin\n    from: recruiting\n    to: open\n",
                                      "    by: claiming_org_admin\n    from: recruiting\n    to: recruiting\n"),
                       "joint_activity.yaml")
    assert "wf.give_up_reopens" in [p.code for p in stuck.value.problems]
    with pytest.raises(WorkflowInvalid) as nobody:  # `released` on a step that releases nothing tells nobody
        compile_source(source.replace("notify: {to: [participants, org_members, org_admins], template: activity_cancelled}",
                                      "notify: {to: [released, org_admins], template: activity_cancelled}"),
                       "joint_activity.yaml")
    (problem,) = nobody.value.problems
    assert problem.code == "wf.released_without_release" and problem.params["step"] == "cancel"


def test_who_acts_for_the_organisation_is_checked_against_the_one_holding_it_when_it_lands(factory, world):
    """org1 gives up and org2 grabs while org1's member was reading the page: the state is
    'recruiting' again, but the member's sign-up (checked against org1) lands on org2's
    activity no longer; nor does a second give-up of org1's land on org2's."""
    from flows.engine import door
    from schemas.tables import OrgRegistration, RegistrationStatus

    with factory() as s:
        s.add(OrgRegistration(org_id=world["org2"], community_id=world["ca"], status=RegistrationStatus.APPROVED))
        s.commit()
    walk = Walker(factory, world).published_activity("冬季扫雪", 5, NOW + timedelta(days=3))
    walk.act("orgadm1", "grab")
    pages = [factory(), factory()]
    shown = [page.get_one(Demand, walk.demand_id) for page in pages]  # each read while org1 held it
    for page in pages:
        page.commit()  # the page was shown; the row stays as it was read (held in `shown`)
    assert [d.org_id for d in shown] == [world["org1"]] * 2
    walk.act("orgadm1", "give_up")
    walk.act("orgadm2", "grab")
    for page, (who, step) in zip(pages, (("mem2", "sign_up"), ("orgadm1", "give_up")), strict=True):
        with page, pytest.raises(Refused) as late:
            door.act(page, world[who], walk.demand_id, step, {}, now=NOW)
        assert late.value.code == "state", (who, late.value.code, late.value.params)
    with factory() as s:
        demand = s.get_one(Demand, walk.demand_id)
        assert (demand.state, demand.org_id, demand.taken) == ("recruiting", world["org2"], 0)


def test_a_member_from_elsewhere_still_opens_the_activity_their_place_went_from(factory, world):
    """The message says the place was released; its link opens the activity for a member of the
    organisation who lives in another community (the hall offered it through the organisation)."""
    from flows.engine import visibility
    from flows.people.actors import load_actor
    from schemas.tables import Member

    with factory() as s:
        s.get_one(Member, world["mem3"]).org_id = world["org1"]  # lives in community B
        s.commit()
    walk = Walker(factory, world).published_activity("义诊", 5, NOW + timedelta(days=3))
    walk.act("orgadm1", "grab")
    walk.act("mem3", "sign_up")
    walk.act("orgadm1", "give_up")
    with factory() as s:
        demand = s.get_one(Demand, walk.demand_id)
        assert visibility.can_see(s, load_actor(s, world["mem3"]), demand)
        assert not visibility.can_see(s, load_actor(s, world["res_b"]), demand)  # community B's resident: no


def test_service_already_recorded_is_kept_when_the_organisation_gives_up(factory, world):
    """A workflow may let an organisation give up after some service was recorded: that place
    ends as done (it counts at the settlement), as when a member withdraws."""
    from schemas.tables import ServiceRecord

    walk = Walker(factory, world).recruiting_activity("护河巡查", 5, NOW + timedelta(days=3))  # mem1 signed up
    walk.act("mem2", "sign_up")
    with factory() as s:
        claim = s.scalars(select(Claim).where(Claim.demand_id == walk.demand_id, Claim.user_id == world["mem1"])).one()
        s.add(ServiceRecord(claim_id=claim.id, demand_id=walk.demand_id, user_id=world["mem1"], hours=1.5, data={}))
        s.commit()
    walk.act("orgadm1", "give_up")
    with factory() as s:
        status = dict(s.execute(select(Claim.user_id, Claim.status).where(Claim.demand_id == walk.demand_id,
                                                                          Claim.user_id.is_not(None))).all())
    assert status == {world["mem1"]: ClaimStatus.DONE, world["mem2"]: ClaimStatus.WITHDRAWN}
