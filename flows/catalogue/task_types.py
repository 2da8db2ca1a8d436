"""Task types: each district's own kinds of demand (codes unique within a district), and the
city-wide ones every district may use. A code names the actor's own district's type first."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from schemas.tables import TaskCategory, TaskType, WorkflowVersion

# The kinds of task a workflow may serve, by the workflow's own `category`: a wish's workflow
# serves wishes and urgent needs alike (both posted by residents, taken up by a member); every
# other kind only its own. A type on a workflow of another kind loses its start button (an
# activity's is the community's, not the resident's) and its `/new/<code>` page.
SERVES: dict[str, frozenset[TaskCategory]] = {
    "micro_wish": frozenset({TaskCategory.MICRO_WISH, TaskCategory.URGENT}),
    "urgent": frozenset({TaskCategory.URGENT, TaskCategory.MICRO_WISH}),
    "activity": frozenset({TaskCategory.ACTIVITY}),
    "volunteer": frozenset({TaskCategory.VOLUNTEER}),
    "appointment": frozenset({TaskCategory.APPOINTMENT}),
}


def fits(category: TaskCategory, workflow_category: str) -> bool:
    """Whether a task type of `category` may run on a workflow of `workflow_category`."""
    return category in SERVES.get(workflow_category, frozenset())


def resolve(session: Session, code: str, districts: Sequence[int]) -> TaskType | None:
    """The active type called `code` of the first of `districts` that has one, else the
    city-wide one; another district's type of the same code is never chosen."""
    rows = session.scalars(select(TaskType).where(
        TaskType.code == code, TaskType.is_active.is_(True),
        or_(TaskType.district_id.in_(list(districts)), TaskType.district_id.is_(None))))
    by_district = {row.district_id: row for row in rows}
    for district in districts:
        if district in by_district:
            return by_district[district]
    return by_district.get(None)


def workflow_choices(session: Session) -> list[tuple[str, str]]:
    """(id, title) of every published workflow, the title of its newest version: what a task
    type may run on (a free-text id could name nothing and break `/new/<code>`)."""
    latest: dict[str, tuple[int, str]] = {}
    for workflow_id, version, title in session.execute(
            select(WorkflowVersion.workflow_id, WorkflowVersion.version, WorkflowVersion.title)):
        if workflow_id not in latest or version > latest[workflow_id][0]:
            latest[workflow_id] = (version, title)
    return sorted((workflow_id, title) for workflow_id, (_, title) in latest.items())
