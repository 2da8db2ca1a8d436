"""Background jobs started from the console (large Excel imports), with their progress, so a
page can poll them and a web worker is never held by one upload."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from schemas.tables.base import Base, created_at, str_enum


class JobStatus(str, enum.Enum):
    """queued → running → done or failed (failed: nothing was imported, see the report)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ImportJob(Base):
    """One import: the uploaded workbook, who started it and in which scope, how far it got,
    and its report (row errors, or what was created)."""

    __tablename__ = "import_jobs"
    __table_args__ = (CheckConstraint("done >= 0 AND done <= total", name="progress_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    scope_paths: Mapped[list[str]]
    data: Mapped[bytes | None] = mapped_column(LargeBinary)  # dropped when the job ends
    status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus), default=JobStatus.QUEUED)
    stage: Mapped[str] = mapped_column(String(24), default="")
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    report: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime | None]  # the runner's last sign of life
    finished_at: Mapped[datetime | None]
