"""Published workflow versions: publish a file as a new version, load the version a demand
is pinned to. Versions are rows that never change, so a compiled workflow may be cached by
its content hash in any process without going stale."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flows.workflow.compiled import CompiledWorkflow
from flows.workflow.compiler import compile_source
from schemas.tables import WorkflowVersion

_compiled: dict[str, CompiledWorkflow] = {}


class UnknownWorkflow(LookupError):
    """No published version of that workflow (id, version)."""


def compiled(source: str, file: str) -> CompiledWorkflow:
    """Compile `source`, reusing an earlier compile of identical text."""
    workflow = compile_source(source, file)
    return _compiled.setdefault(workflow.content_hash, workflow)


def publish(session: Session, source: str, file: str = "<editor>", *, actor_id: int | None = None,
            note: str | None = None) -> WorkflowVersion:
    """Publish `source` as the workflow's next version, unless it equals the latest.

    Raises `WorkflowInvalid` (nothing written) when the text does not compile. The caller commits.
    """
    workflow = compiled(source, file)
    latest = latest_version(session, workflow.id)
    if latest is not None and latest.content_hash == workflow.content_hash:
        return latest
    row = WorkflowVersion(
        workflow_id=workflow.id, version=(latest.version + 1) if latest else 1, content_hash=workflow.content_hash,
        title=workflow.spec.title, source=source, note=note, created_by=actor_id,
    )
    session.add(row)
    session.flush()
    return row


def sync_directory(session: Session, directory: Path) -> list[WorkflowVersion]:
    """Publish every `*.yaml` in `directory` whose content changed; returns the latest versions."""
    return [publish(session, path.read_text("utf-8"), str(path)) for path in sorted(directory.glob("*.yaml"))]


def latest_version(session: Session, workflow_id: str) -> WorkflowVersion | None:
    """The newest published version of `workflow_id`."""
    return session.scalar(
        select(WorkflowVersion).where(WorkflowVersion.workflow_id == workflow_id)
        .order_by(WorkflowVersion.version.desc()).limit(1)
    )


def load(session: Session, workflow_id: str, version: int, content_hash: str | None = None) -> CompiledWorkflow:
    """The compiled workflow of a published version (from the cache when the hash is known)."""
    if content_hash and content_hash in _compiled:
        return _compiled[content_hash]
    row = session.scalar(select(WorkflowVersion).where(
        WorkflowVersion.workflow_id == workflow_id, WorkflowVersion.version == version))
    if row is None:
        raise UnknownWorkflow(f"{workflow_id} v{version}")
    return compiled(row.source, f"{workflow_id}@v{version}")


def load_latest(session: Session, workflow_id: str) -> tuple[WorkflowVersion, CompiledWorkflow]:
    """The newest version row and its compiled workflow."""
    row = latest_version(session, workflow_id)
    if row is None:
        raise UnknownWorkflow(workflow_id)
    return row, load(session, workflow_id, row.version, row.content_hash)


def versions_in_use(session: Session) -> dict[tuple[str, int], int]:
    """How many demands each (workflow, version) carries: old versions stay while any is used."""
    from schemas.tables import Demand

    rows = session.execute(select(Demand.workflow_id, Demand.workflow_version, func.count())
                           .group_by(Demand.workflow_id, Demand.workflow_version))
    return {(w, v): n for w, v, n in rows}
