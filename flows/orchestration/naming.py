"""How a demand appears in Prefect: a run named for a person, tagged for filtering.

The Prefect UI has no log-in of its own, so names and tags carry no personal data: a run is
the workflow's title, the demand's number and its community (`微心愿 #42 · 旭日社区`), never
the resident's own words or anyone's name. An overdue run gets the tag `overdue` and, because
the UI's tag filter is OR, one tag that says both "overdue" and the district
(`overdue:district:<id>`), so one filter lists a district's stuck runs.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from flows.people.regions import district_id
from flows.workflow.compiled import CompiledWorkflow
from schemas.settings import get_settings
from schemas.tables import Demand, Region

FLOW_NAME = "demand-lifecycle"
OVERDUE = "overdue"


def instance_tag() -> str:
    """Which Yijia database a run belongs to."""
    return f"instance:{get_settings().instance}"


def deployment_name(workflow_id: str, version: int) -> str:
    """One deployment per workflow version: `micro_wish-v2`."""
    return f"{workflow_id}-v{version}"


def overdue_tag(district: int | None) -> str:
    """The one tag that lists a district's overdue runs (`overdue:district:12`)."""
    return f"{OVERDUE}:district:{district if district is not None else '?'}"


def run_name(workflow: CompiledWorkflow, demand: Demand, community: str | None = None) -> str:
    """`微心愿 #42 · 旭日社区`: what an operator recognises, and nothing personal."""
    return f"{workflow.spec.title} #{demand.id}" + (f" · {community}" if community else "")


def state_name(workflow: CompiledWorkflow, demand: Demand) -> str:
    """The run's state name: the demand's state, marked when its step is overdue."""
    title = workflow.state_title(demand.state)
    return f"{title} · 超时" if demand.escalated_at is not None and not workflow.is_terminal(demand.state) else title


def waiting_for(workflow: CompiledWorkflow, demand: Demand) -> str:
    """The step a demand waits for (or its state when nothing is left to do)."""
    auto = workflow.auto_step_from(demand.state)
    if auto is not None:
        return auto[0]
    waiting = workflow.waiting_step(demand.state)
    return waiting[0] if waiting else demand.state


def run_tags(session: Session, workflow: CompiledWorkflow, demand: Demand) -> list[str]:
    """workflow, community, district, the step waited for; overdue ones marked (twice: see above)."""
    community = session.get(Region, demand.community_id)
    district = district_id(community.path) if community else None
    tags = ["yijia", instance_tag(), f"demand:{demand.id}", f"workflow:{workflow.id}",
            f"version:{demand.workflow_version}", f"community:{demand.community_id}",
            f"district:{district if district is not None else '?'}", f"step:{waiting_for(workflow, demand)}"]
    if demand.escalated_at is not None and not workflow.is_terminal(demand.state):
        tags += [OVERDUE, overdue_tag(district)]
    return tags


# ---- where a person finds them in the Prefect UI (3.x, its default "v2" interface) --------

def stuck_artifact_key(district: int | None) -> str:
    """The per-district stuck list's artifact key (letters, digits and dashes only), per
    Yijia database; the city's list is `stuck-demands`."""
    if district is None:
        return "stuck-demands"
    return f"stuck-demands-{get_settings().instance}-d{district}"


def ui_base() -> str:
    return get_settings().prefect_ui_url.rstrip("/") + "/v2"


def ui_run_url(run_id: object) -> str:
    return f"{ui_base()}/runs/flow-run/{run_id}"


def ui_demand_runs_url(demand_id: int) -> str:
    """The runs of one demand (its live run, and earlier ones)."""
    return f"{ui_base()}/runs/?tags=demand:{demand_id}"


def ui_overdue_runs_url(district: int | None) -> str:
    """A district's overdue runs in one filter (the city's: every overdue run)."""
    return f"{ui_base()}/runs/?tags={OVERDUE if district is None else overdue_tag(district)}"


def ui_stuck_artifact_url(district: int | None) -> str:
    return f"{ui_base()}/artifacts/key/{stuck_artifact_key(district)}"
