"""Large imports as background jobs: the upload is kept in a job row, a runner (a thread of
the web process, or any process given the job's id) claims it with a conditional UPDATE, and
reports its stage and progress in short transactions of their own that a page polls. The
import itself stays all or nothing; its report (row errors, or what was created) is kept on
the job, the first passwords only until the importer has seen them once."""
from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from flows.core.db import in_transaction
from flows.core.i18n import Message
from flows.people import imports
from schemas.clock import utcnow
from schemas.tables import ImportJob, JobStatus

BACKGROUND_ROWS = 200  # more rows than this run as a job with a progress bar
PROGRESS_EVERY = 0.5  # seconds between progress writes
LOST_AFTER = timedelta(minutes=10)  # a runner silent this long died with its process


def enqueue(session: Session, kind: str, data: bytes, actor_id: int, scope_paths: list[str], total: int) -> int:
    """Keep the upload as a queued job; returns its id (the caller starts a runner)."""
    job = ImportJob(kind=kind, actor_id=actor_id, scope_paths=list(scope_paths), data=data,
                    status=JobStatus.QUEUED, stage="queued", total=max(total, 1), done=0)
    in_transaction(session, lambda: session.add(job))
    return job.id


def run(factory: sessionmaker[Session], job_id: int) -> None:
    """Claim a queued job and run it to done or failed; a job someone else claimed is left alone."""
    with factory() as session:
        claimed = session.execute(update(ImportJob).where(ImportJob.id == job_id, ImportJob.status == JobStatus.QUEUED)
                                  .values(status=JobStatus.RUNNING, stage="read", updated_at=utcnow())
                                  .returning(ImportJob.kind, ImportJob.data, ImportJob.actor_id,
                                             ImportJob.scope_paths)).one_or_none()
        session.commit()
    if claimed is None:
        return
    kind, data, actor_id, scope_paths = claimed
    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        if stage != "write" and time.monotonic() - last[0] < PROGRESS_EVERY:
            return
        last[0] = time.monotonic()
        with factory() as s:
            s.execute(update(ImportJob).where(ImportJob.id == job_id, ImportJob.status == JobStatus.RUNNING).values(
                stage=stage, total=max(total, 1), done=min(done, max(total, 1)), updated_at=utcnow()))
            s.commit()

    report: dict[str, Any]
    with factory() as session:
        try:
            result = imports.KINDS[kind][1](session, data or b"", actor_id, scope_paths, progress)
        except imports.ImportRefused as exc:
            session.rollback()
            status, report = JobStatus.FAILED, {"errors": [_error(e) for e in exc.errors]}
        except Exception:
            session.rollback()
            status, report = JobStatus.FAILED, {"errors": [{"row": 0, "column": "", "code": "import.lost",
                                                            "params": {}}]}
        else:
            status, report = JobStatus.DONE, {"created": result.created, "passwords": result.passwords}
    with factory() as session:
        session.execute(update(ImportJob).where(ImportJob.id == job_id, ImportJob.status == JobStatus.RUNNING).values(
            status=status, stage="end", report=report, data=None, finished_at=utcnow(), updated_at=utcnow(),
            done=ImportJob.total))
        session.commit()


def _error(error: imports.RowError) -> dict[str, Any]:
    return {"row": error.row, "column": error.column, "code": error.message.code, "params": error.message.params}


def errors(job: ImportJob, locale: str | None) -> list[dict[str, Any]]:
    """The job's row errors in the reader's language."""
    return [{"row": e["row"], "column": e["column"], "message": Message(e["code"], e["params"]).render(locale)}
            for e in (job.report or {}).get("errors", [])]


def mine(session: Session, job_id: int, actor_id: int, *, now: datetime | None = None) -> ImportJob | None:
    """The importer's own job (no one else's is visible). A job whose runner has been silent
    for LOST_AFTER died with its process (a restart): it is failed, nothing having been
    imported (the import commits only at its very end), so the page stops waiting."""
    job = session.get(ImportJob, job_id)
    if job is None or job.actor_id != actor_id:
        return None
    seen = job.updated_at or job.created_at
    if job.status in (JobStatus.QUEUED, JobStatus.RUNNING) and seen < (now or utcnow()) - LOST_AFTER:
        in_transaction(session, lambda: session.execute(
            update(ImportJob).where(ImportJob.id == job.id, ImportJob.status == job.status).values(
                status=JobStatus.FAILED, stage="end", data=None, finished_at=utcnow(),
                report={"errors": [{"row": 0, "column": "", "code": "import.lost", "params": {}}]})))
        session.refresh(job)
    return job


def passwords_once(session: Session, job: ImportJob) -> list[tuple[str, str]]:
    """The first passwords of a finished member import, then forgotten (shown once)."""
    report = dict(job.report or {})
    shown = [(str(p[0]), str(p[1])) for p in report.get("passwords", [])]
    if shown:
        report["passwords"] = []
        report["passwords_shown"] = True
        session.execute(update(ImportJob).where(ImportJob.id == job.id).values(report=report))
        session.commit()
    return shown
