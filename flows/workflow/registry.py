"""Published workflow versions, in lines: the city's templates and each district's own.

A district without versions of its own follows the city's line; when it adopts a template or
publishes its own text, its new demands run on its own line, and no other district's demands
ever change. Version numbers count per workflow across lines, so (workflow, version) names
one text for ever: demands, Prefect deployments and SLA automations refer to it.

Versions are rows that never change, so a compiled version is cached by its identity
(workflow, version, stored hash) in a bounded cache: loading a demand's version compiles its
text once per process, whatever compiler computed the stored hash. A dry run compiles in a
private cache that it throws away.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flows.core.i18n import READING
from flows.core.safe_yaml import Problem
from flows.workflow.compiled import CompiledWorkflow
from flows.workflow.compiler import WorkflowInvalid, compile_source
from schemas.tables import PointPolicy, WorkflowVersion
from schemas.workflow import PointBounds

Key = tuple[str, int, str]


class CompiledCache:
    """A bounded, thread-safe LRU of compiled versions (a few dozen are live at a time)."""

    def __init__(self, maxsize: int = 256):
        self.maxsize = maxsize
        self.compiles = 0  # how many texts this cache had to compile (tests read it)
        self._items: OrderedDict[Key, CompiledWorkflow] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Key) -> CompiledWorkflow | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Key, workflow: CompiledWorkflow) -> CompiledWorkflow:
        with self._lock:
            self.compiles += 1
            self._items[key] = workflow
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)
            return workflow

    def __len__(self) -> int:
        return len(self._items)


_shared = CompiledCache()
_current: ContextVar[CompiledCache] = ContextVar("yijia_compiled_cache", default=_shared)


def cache() -> CompiledCache:
    """The cache in use here (the process's, or a dry run's private one)."""
    return _current.get()


@contextmanager
def private_cache() -> Iterator[CompiledCache]:
    """Compile into a cache of one's own for the duration (a dry run): nothing stays behind."""
    token = _current.set(CompiledCache(maxsize=16))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


class UnknownWorkflow(LookupError):
    """No published version of that workflow (id, version)."""


# ---- lines -------------------------------------------------------------------------------

def _line(workflow_id: str, district_id: int | None):
    query = select(WorkflowVersion).where(WorkflowVersion.workflow_id == workflow_id)
    column = WorkflowVersion.district_id
    return query.where(column.is_(None) if district_id is None else column == district_id)


def own_latest(session: Session, workflow_id: str, district_id: int | None) -> WorkflowVersion | None:
    """The newest version of exactly this line (the city's when `district_id` is None)."""
    return session.scalar(_line(workflow_id, district_id).order_by(WorkflowVersion.version.desc()).limit(1))


def latest_version(session: Session, workflow_id: str, district_id: int | None = None) -> WorkflowVersion | None:
    """The version a new demand of `district_id` starts on: its own line's newest, or the
    city's newest template while the district has none of its own."""
    if district_id is not None:
        own = own_latest(session, workflow_id, district_id)
        if own is not None:
            return own
    return own_latest(session, workflow_id, None)


def line_versions(session: Session, workflow_id: str, district_id: int | None) -> list[WorkflowVersion]:
    """Every version of one line, newest first."""
    return list(session.scalars(_line(workflow_id, district_id).order_by(WorkflowVersion.version.desc())))


def lines(session: Session, workflow_id: str) -> dict[int | None, int]:
    """{district (None: the city's templates): its newest version} for the lines that exist."""
    rows = session.execute(select(WorkflowVersion.district_id, func.max(WorkflowVersion.version))
                           .where(WorkflowVersion.workflow_id == workflow_id).group_by(WorkflowVersion.district_id))
    return {row[0]: row[1] for row in rows}


def workflow_ids(session: Session) -> list[str]:
    return list(session.scalars(select(WorkflowVersion.workflow_id).distinct().order_by(WorkflowVersion.workflow_id)))


# ---- publishing --------------------------------------------------------------------------

def city_bounds(session: Session) -> PointBounds:
    """The city's point bounds (its one PointPolicy row; the defaults if it was removed),
    which every version published must keep: a district's own workflow file is no way
    around the limits its task types' fields are held to."""
    row = session.scalar(select(PointPolicy).order_by(PointPolicy.id).limit(1))
    if row is None:
        return PointBounds()
    return PointBounds(max_base_points=row.max_base_points, max_per_hour=float(row.max_per_hour),
                       max_rating_factor=float(row.max_rating_factor))


def publish(session: Session, source: str, file: str = "<editor>", *, district_id: int | None = None,
            actor_id: int | None = None, note: str | None = None) -> WorkflowVersion:
    """Publish `source` as the next version of a line, unless it means what the line's newest
    already says (comparing today's hashes of both, so a version stored with an older hash is
    still recognised). A district's first version starts its own line, even when the text is
    the city's template (adopting it "as is" keeps later templates from reaching its demands).

    Raises `WorkflowInvalid` (nothing written) when the text does not compile or says more
    points than the city's bounds allow (`city_bounds`). The caller commits.
    """
    workflow = compile_source(source, file)
    latest = own_latest(session, workflow.id, district_id)
    if latest is not None and load(session, latest.workflow_id, latest.version,
                                   latest.content_hash).content_hash == workflow.content_hash:
        return latest  # nothing new (a deploy's sync of unchanged files, whatever the bounds are now)
    compile_source(source, file, bounds=city_bounds(session))  # a new version keeps today's bounds
    newest = session.scalar(select(func.max(WorkflowVersion.version)).where(WorkflowVersion.workflow_id == workflow.id))
    row = WorkflowVersion(
        workflow_id=workflow.id, version=(newest or 0) + 1, content_hash=workflow.content_hash,
        district_id=district_id, title=workflow.spec.title, source=source, note=note, created_by=actor_id,
    )
    session.add(row)
    session.flush()
    return row


def sync_directory(session: Session, directory: Path) -> list[WorkflowVersion]:
    """Publish every `*.yaml` in `directory` whose meaning changed, as the city's templates."""
    return [publish(session, path.read_text("utf-8"), str(path)) for path in sorted(directory.glob("*.yaml"))]


# ---- loading -----------------------------------------------------------------------------

def load(session: Session, workflow_id: str, version: int, content_hash: str | None = None) -> CompiledWorkflow:
    """The compiled workflow of a published version, compiled once per process.

    Loaded with the checks the engine needs (`compile_source(stored=True)`): a version
    published before a rule existed still runs its demands."""
    if content_hash is not None:
        found = cache().get((workflow_id, version, content_hash))
        if found is not None:
            return found.in_language(READING.get())
    row = session.scalar(select(WorkflowVersion).where(
        WorkflowVersion.workflow_id == workflow_id, WorkflowVersion.version == version))
    if row is None:
        raise UnknownWorkflow(f"{workflow_id} v{version}")
    key = (workflow_id, version, row.content_hash)
    compiled = cache().get(key) or cache().put(key, compile_source(row.source, f"{workflow_id}@v{version}", stored=True))
    # in the words of the reader of this request (flows.core.i18n.READING)
    return compiled.in_language(READING.get())


def titles(session: Session) -> list[tuple[str, str]]:
    """(id, title) of every published workflow by its newest version, as this request's reader
    reads it (the compiled workflow in their language, not the row's Chinese copy)."""
    latest: dict[str, tuple[int, str]] = {}
    for workflow_id, version, content_hash in session.execute(
            select(WorkflowVersion.workflow_id, WorkflowVersion.version, WorkflowVersion.content_hash)):
        if workflow_id not in latest or version > latest[workflow_id][0]:
            latest[workflow_id] = (version, content_hash)
    return sorted((workflow_id, load(session, workflow_id, version, content_hash).spec.title)
                  for workflow_id, (version, content_hash) in latest.items())


def load_latest(session: Session, workflow_id: str, district_id: int | None = None
                ) -> tuple[WorkflowVersion, CompiledWorkflow]:
    """The version a new demand of the district starts on, and its compiled workflow."""
    row = latest_version(session, workflow_id, district_id)
    if row is None:
        raise UnknownWorkflow(workflow_id)
    return row, load(session, workflow_id, row.version, row.content_hash)


def versions_in_use(session: Session) -> dict[tuple[str, int], int]:
    """How many demands each (workflow, version) carries: old versions stay while any is used."""
    from schemas.tables import Demand

    rows = session.execute(select(Demand.workflow_id, Demand.workflow_version, func.count())
                           .group_by(Demand.workflow_id, Demand.workflow_version))
    return {(w, v): n for w, v, n in rows}


def check_stored(session: Session) -> list[tuple[WorkflowVersion, list[Problem]]]:
    """Every stored version that today's compiler, with all its rules, refuses (and why).

    Their demands still run (see `load`); this is what `yijia workflows check-stored` and
    the tests report, so that a new rule is never a surprise to a district's published line."""
    failing = []
    for row in session.scalars(select(WorkflowVersion).order_by(WorkflowVersion.workflow_id, WorkflowVersion.version)):
        try:
            compile_source(row.source, f"{row.workflow_id}@v{row.version}")
        except WorkflowInvalid as exc:
            failing.append((row, list(exc.problems)))
    return failing
