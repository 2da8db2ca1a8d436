"""The relay's decision, without Prefect: from a demand's facts and its run's current state,
what the run should become. Every branch as a row of a table, then the facts of real demands."""
from __future__ import annotations

import subprocess
import sys

import pytest

from flows.orchestration.desired import Decision, DemandFacts, RunFacts, decide, demand_facts
from flows.workflow import registry
from schemas.settings import ROOT
from schemas.tables import Demand
from tests.flows.walker import Walker
from tests.world import build_world


def _facts(*, terminal=False, done=False, auto_due=False, title="待认领") -> DemandFacts:
    return DemandFacts(demand_id=7, rev=3, name="微心愿 #7 修灯", tags=["demand:7"], state_title=title,
                       terminal=terminal, done=done, auto_due=auto_due)


PAUSED_HERE = RunFacts("PAUSED", "待认领", stale=False)
LABELLED = RunFacts("PAUSED", "待认领", stale=False, name="微心愿 #7 修灯", tags=frozenset({"demand:7"}))
RUNNING, STUCK = RunFacts("RUNNING", "Running", stale=False), RunFacts("PENDING", "Pending", stale=True)


@pytest.mark.parametrize(("facts", "run", "expected"), [
    # no live run yet
    (_facts(terminal=True, done=True), None, Decision("nothing")),
    (_facts(), None, Decision("created", create=True, state="paused", state_name="待认领")),
    (_facts(auto_due=True), None, Decision("created", create=True, state="scheduled", executes=True)),
    # a worker is on it
    (_facts(auto_due=True), RUNNING, Decision("running", retag=True)),
    (_facts(terminal=True, done=True), RUNNING, Decision("running", retag=True)),
    # its worker died: run it again, or finish it
    (_facts(auto_due=True), STUCK, Decision("rescheduled", retag=True, state="scheduled", executes=True, stale=True)),
    (_facts(terminal=True, done=True, title="已完成"), STUCK,
     Decision("finished", retag=True, state="completed", state_name="已完成", stale=True)),
    (_facts(), STUCK, Decision("waiting", retag=True, state="paused", state_name="待认领", stale=True)),
    # the demand is over: done completes the run, any other outcome cancels it
    (_facts(terminal=True, done=True, title="已完成"), PAUSED_HERE,
     Decision("finished", retag=True, state="completed", state_name="已完成")),
    (_facts(terminal=True, done=False, title="已取消"), PAUSED_HERE,
     Decision("finished", retag=True, state="cancelled", state_name="已取消")),
    # automated work is due
    (_facts(auto_due=True), PAUSED_HERE, Decision("scheduled", retag=True, state="scheduled", executes=True)),
    # waiting for a person: paused under the state's title, once
    (_facts(), PAUSED_HERE, Decision("waiting", retag=True)),
    # already scheduled: nothing set (a worker may be starting it), handed to the executor again
    (_facts(auto_due=True), RunFacts("SCHEDULED", "Scheduled", stale=False),
     Decision("scheduled", retag=True, executes=True)),
    # its name and tags already the demand's: no call renames it
    (_facts(), LABELLED, Decision("waiting")),
    (_facts(title="服务中"), LABELLED, Decision("waiting", state="paused", state_name="服务中")),
    (_facts(auto_due=True), LABELLED, Decision("scheduled", state="scheduled", executes=True)),
    (_facts(), RunFacts("PAUSED", "待认领", stale=False, name="微心愿 #7 修灯", tags=frozenset({"demand:7", "overdue"})),
     Decision("waiting", retag=True)),
    (_facts(title="服务中"), PAUSED_HERE, Decision("waiting", retag=True, state="paused", state_name="服务中")),
    (_facts(), RunFacts("SCHEDULED", "Scheduled", stale=False),
     Decision("waiting", retag=True, state="paused", state_name="待认领")),
    (_facts(), RunFacts(None, None, stale=False), Decision("waiting", retag=True, state="paused", state_name="待认领")),
])
def test_decide(facts, run, expected):
    assert decide(facts, run) == expected


def test_deciding_needs_no_prefect():
    """Importing the decision (and what it reads: naming, the compiled workflow) loads no Prefect."""
    check = ("import sys, flows.orchestration.desired; "
             "sys.exit(any(m == 'prefect' or m.startswith('prefect.') for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", check], cwd=ROOT, timeout=60).returncode == 0


def test_facts_of_real_demands(factory):
    world = build_world(factory)
    walk = Walker(factory, world).rated_wish("修灯", 5)  # inline auto steps: the award is already done
    waiting = Walker(factory, world)
    waiting.start("res_a", "micro_wish", {"title": "买药"})
    with factory() as s:
        for demand_id, title, terminal, done in [(walk.demand_id, "已完成", True, True),
                                                 (waiting.demand_id, "待审核", False, False)]:
            demand = s.get(Demand, demand_id)
            workflow = registry.load(s, demand.workflow_id, demand.workflow_version, demand.workflow_hash)
            facts = demand_facts(s, workflow, demand)
            assert (facts.state_title, facts.terminal, facts.done, facts.auto_due) == (title, terminal, done, False)
            assert f"demand:{demand_id}" in facts.tags and f"district:{world['d1']}" in facts.tags
            assert facts.name.startswith(f"微心愿 #{demand_id}")
