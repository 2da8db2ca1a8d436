"""Review probes (#19): a community's own resource and the district lines of the resource
request workflow."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from flows import engine
from flows.core.refusals import Refused
from flows.workflow import registry
from schemas.tables import Demand
from tests.flows.sharing.shared import add_community_room, add_sharing, local, request
from tests.world import ROOT, build_world


@pytest.fixture
def world(factory):
    world = add_sharing(factory, build_world(factory))
    add_community_room(factory, world)
    return world


def test_a_district_line_from_before_holder_does_not_strand_a_communitys_request(factory, world):
    """A district that adopted the resource request workflow before #19 keeps its own line
    (`claiming_org_admin`): nobody could ever answer a request for the community's own room,
    yet its time would be held. The request is refused instead, saying why."""
    before = ((ROOT / "workflows" / "resource_request.yaml").read_text("utf-8")
              .replace("holder_admins", "org_admins").replace("holder_admin", "claiming_org_admin"))
    with factory() as s, s.begin():
        registry.publish(s, before, district_id=world["d1"])
    with factory() as s:
        with pytest.raises(Refused) as refused:
            engine.start(s, world["res_a"], world["tt_resource"], request(local(3, 14), local(3, 16)),
                         resource_id=world["hall"], now=local(1, 9))
        assert refused.value.code == "resource.no_answerer"
        assert s.scalar(select(func.count()).select_from(Demand)) == 0  # no time held for nobody
    with factory() as s:  # an organisation's room on the same line is still answered by its admins
        done = engine.start(s, world["res_a"], world["tt_resource"], request(local(3, 10), local(3, 11)),
                            resource_id=world["room"], now=local(1, 9))
    with factory() as s:
        engine.act(s, world["orgadm1"], done.demand_id, "approve", {}, now=local(1, 10))


def test_a_district_line_where_the_community_admin_answers_still_takes_a_communitys_request(factory, world):
    """The refusal is only for a line where nobody could answer: one whose steps are the
    community admin's takes the community's own room."""
    line = ((ROOT / "workflows" / "resource_request.yaml").read_text("utf-8")
            .replace("holder_admins", "community_admins").replace("holder_admin", "community_admin"))
    with factory() as s, s.begin():
        registry.publish(s, line, district_id=world["d1"])
    with factory() as s:
        done = engine.start(s, world["res_a"], world["tt_resource"], request(local(3, 14), local(3, 16)),
                            resource_id=world["hall"], now=local(1, 9))
    with factory() as s:
        engine.act(s, world["cadm_a"], done.demand_id, "approve", {}, now=local(1, 10))


def test_a_communitys_own_request_escalates_to_its_admins_and_the_district(factory, world):
    from flows.engine import escalations

    with factory() as s:
        held = engine.start(s, world["res_a"], world["tt_resource"], request(local(3, 14), local(3, 16)),
                            resource_id=world["hall"], now=local(1, 9)).demand_id
        owned = engine.start(s, world["res_a"], world["tt_resource"], request(local(3, 10), local(3, 11)),
                             resource_id=world["room"], now=local(1, 9)).demand_id
    with factory() as s:
        assert engine.apply_timeout(s, held, "approve", now=local(3, 12)) == "escalate"
        assert engine.apply_timeout(s, owned, "approve", now=local(3, 12)) == "escalate"
    with factory() as s:
        (first,) = escalations.current(s, s.get(Demand, held))
        assert first.targets == [{"role": "community_admin", "region_id": world["ca"]},
                                 {"role": "district_admin", "region_id": world["d1"]}]
        (second,) = escalations.current(s, s.get(Demand, owned))
        assert second.targets == [{"org_id": world["org1"], "role": "org_admin"},
                                  {"role": "community_admin", "region_id": world["ca"]}]
