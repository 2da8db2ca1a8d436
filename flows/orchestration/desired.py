"""What a demand's Prefect run should look like, decided without Prefect.

The relay makes each demand's run match the database. Deciding what to do (create the run,
schedule it for automated work, pause it under the state's name, finish it) is a pure
function of two small values: the demand's facts, read from the database, and the run's
current state, read from Prefect. `decide` is that function; the relay only carries it out.
It imports nothing of Prefect, so every case is tested as a table (tests/flows/orchestration).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from flows.orchestration.naming import run_name, run_tags, state_name
from flows.workflow.compiled import CompiledWorkflow
from schemas.tables import Demand, Region

# A run in one of these states is being worked on by a worker (Prefect's StateType values).
BUSY = ("RUNNING", "PENDING")
PAUSED = "PAUSED"
SCHEDULED = "SCHEDULED"

Target = Literal["scheduled", "paused", "completed", "cancelled"]


@dataclass(frozen=True)
class DemandFacts:
    """What the database says about a demand, as far as its run is concerned."""

    demand_id: int
    rev: int
    name: str  # the run's name: what an operator recognises
    tags: list[str]
    state_title: str  # the demand's state, as the paused run's state name
    terminal: bool
    done: bool  # the terminal state's outcome is `done` (else the run is cancelled)
    auto_due: bool  # an automated step is due from this state


@dataclass(frozen=True)
class RunFacts:
    """The demand's live run as Prefect shows it."""

    state_type: str | None  # Prefect's StateType value ("PAUSED", "RUNNING", …), None before any state
    state_name: str | None
    stale: bool  # running or pending for longer than any automated step takes: its worker died
    name: str | None = None  # the run's name and tags (None: not known, so given again)
    tags: frozenset[str] | None = None


@dataclass(frozen=True)
class Decision:
    """What to do to the run; `outcome` says it in a word (for logs and tests)."""

    outcome: Literal["nothing", "created", "running", "rescheduled", "finished", "scheduled", "waiting"]
    create: bool = False  # create the run, in `state`
    retag: bool = False  # give the live run the demand's name and tags (they differ)
    state: Target | None = None  # the state to set (or to create the run in)
    state_name: str | None = None  # the state's name (the demand's state title), when it has one
    executes: bool = False  # the run is now scheduled for automated work: the executor may run it
    stale: bool = False  # the run was stuck: worth a warning in the log


def demand_facts(session: Session, workflow: CompiledWorkflow, demand: Demand) -> DemandFacts:
    """The facts of `demand` (of `workflow`) that decide its run."""
    community = session.get(Region, demand.community_id)
    return DemandFacts(
        demand_id=demand.id, rev=demand.rev, name=run_name(workflow, demand, community.name if community else None),
        tags=run_tags(session, workflow, demand),
        # the state's title, marked while its step is overdue
        state_title=state_name(workflow, demand), terminal=workflow.is_terminal(demand.state),
        done=workflow.is_done(demand.state), auto_due=workflow.auto_step_from(demand.state) is not None)


def decide(facts: DemandFacts, run: RunFacts | None) -> Decision:
    """The run's desired state, from the demand's facts and the run's current state."""
    if run is None:
        if facts.terminal:
            return Decision("nothing")
        if facts.auto_due:
            return Decision("created", create=True, state="scheduled", executes=True)
        return Decision("created", create=True, state="paused", state_name=facts.state_title)
    stale = False
    # A change that moves the demand changes its run's labels (the step waited for); one that
    # does not (a message, a repeated delivery) leaves them, and costs the server no call.
    retag = run.name != facts.name or run.tags != frozenset(facts.tags)
    if run.state_type in BUSY:
        if not run.stale:
            return Decision("running", retag=retag)  # the worker is on it; it reads the database when it runs
        # Its worker died mid-run (killed, machine lost): nothing will finish it. Whatever it
        # had done is either committed or rolled back; run it again from the database.
        stale = True
        if not facts.terminal and facts.auto_due:
            return Decision("rescheduled", retag=retag, state="scheduled", executes=True, stale=True)
    if facts.terminal:
        return Decision("finished", retag=retag, state="completed" if facts.done else "cancelled",
                        state_name=facts.state_title, stale=stale)
    if facts.auto_due and run.state_type == SCHEDULED:
        # already scheduled: set nothing (a worker may be taking it to Pending this moment, and a
        # forced Scheduled would pull it back); the executor is handed it, Prefect lets one run it
        return Decision("scheduled", retag=retag, executes=True, stale=stale)
    if facts.auto_due:
        return Decision("scheduled", retag=retag, state="scheduled", executes=True, stale=stale)
    if run.state_type == PAUSED and run.state_name == facts.state_title:
        return Decision("waiting", retag=retag, stale=stale)  # already waiting under the right name
    return Decision("waiting", retag=retag, state="paused", state_name=facts.state_title, stale=stale)
