"""The steps the console offers as bulk actions, read from the published workflows.

An admin may apply to many demands at once the human steps an admin role takes that ask for
no input (publish, begin, finish, settle, reopen, cancel… whatever the workflows name them);
on the participants list, the claimant's own steps that record a sign-in or sign-out, which
a community admin may confirm for them (as the paper sign-in sheet did).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.people.actors import ADMIN_ROLES
from flows.workflow import registry
from flows.workflow.compiled import CompiledWorkflow
from schemas.tables import WorkflowVersion
from schemas.workflow import HumanStep

ADMINS = frozenset(role.value for role in ADMIN_ROLES)
CONFIRMABLE_RECORDS = frozenset({"sign_in", "sign_out"})  # the engine's record vocabulary


@dataclass(frozen=True)
class BulkStep:
    """A step name and the titles the workflows give it (joined when they differ)."""

    name: str
    title: str


def _workflows(session: Session) -> list[CompiledWorkflow]:
    rows = session.execute(select(WorkflowVersion.workflow_id, WorkflowVersion.version, WorkflowVersion.content_hash)
                           .order_by(WorkflowVersion.workflow_id, WorkflowVersion.version))
    return [registry.load(session, w, v, h) for w, v, h in rows]


def _collect(session: Session, wanted) -> list[BulkStep]:
    titles: dict[str, list[str]] = {}
    for workflow in _workflows(session):
        for name, spec in workflow.spec.steps.items():
            if isinstance(spec, HumanStep) and wanted(spec):
                known = titles.setdefault(name, [])
                if spec.title not in known:
                    known.append(spec.title)
    return [BulkStep(name, " / ".join(found)) for name, found in sorted(titles.items())]


def admin_steps(session: Session) -> list[BulkStep]:
    """Human steps taken by an admin role with no form, in any published version."""
    return _collect(session, lambda spec: spec.by.role in ADMINS and not spec.form)


def confirm_steps(session: Session) -> list[BulkStep]:
    """The claimant's own sign-in/sign-out steps (with no form) an admin may confirm for them."""
    return _collect(session, lambda spec: spec.by.relation == "claimant" and spec.record in CONFIRMABLE_RECORDS
                    and not spec.form)
