"""How a demand appears in Prefect: a run named for a person, tagged for filtering."""
from __future__ import annotations

from sqlalchemy.orm import Session

from flows.people.regions import district_id
from flows.workflow.compiled import CompiledWorkflow
from schemas.settings import get_settings
from schemas.tables import Demand, Region

FLOW_NAME = "demand-lifecycle"


def instance_tag() -> str:
    """Which Yijia database a run belongs to."""
    return f"instance:{get_settings().instance}"


def deployment_name(workflow_id: str, version: int) -> str:
    """One deployment per workflow version: `micro_wish-v2`."""
    return f"{workflow_id}-v{version}"


def run_name(workflow: CompiledWorkflow, demand: Demand) -> str:
    """`微心愿 #42 给独居老人修灯`: what an operator recognises."""
    return f"{workflow.spec.title} #{demand.id} {demand.title}"[:120]


def waiting_for(workflow: CompiledWorkflow, demand: Demand) -> str:
    """The step a demand waits for (or its state when nothing is left to do)."""
    auto = workflow.auto_step_from(demand.state)
    if auto is not None:
        return auto[0]
    waiting = workflow.waiting_step(demand.state)
    return waiting[0] if waiting else demand.state


def run_tags(session: Session, workflow: CompiledWorkflow, demand: Demand, overdue: bool = False) -> list[str]:
    """workflow, community, district, the step waited for; `overdue` when past its SLA."""
    community = session.get(Region, demand.community_id)
    district = (district_id(community.path) if community else None) or "?"
    tags = ["yijia", instance_tag(), f"demand:{demand.id}", f"workflow:{workflow.id}", f"version:{demand.workflow_version}",
            f"community:{demand.community_id}", f"district:{district}", f"step:{waiting_for(workflow, demand)}"]
    return tags + (["overdue"] if overdue else [])
