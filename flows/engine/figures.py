"""The dashboard's tallies checked and rebuilt with what each published workflow means.

The tallies (flows.reporting) sit below the workflow compiler, so they are told, per published
version's content hash, the workflow's category and which of its states are a successful
ending (`outcome: done`); this is where that is read from the compiled workflows.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.reporting import tallies
from flows.reporting.tallies import WorkflowFacts
from flows.workflow import registry
from schemas.tables import WorkflowVersion


def workflow_facts(session: Session) -> dict[str, WorkflowFacts]:
    """Category and done states of every published version, by content hash."""
    facts: dict[str, WorkflowFacts] = {}
    rows = session.execute(select(WorkflowVersion.workflow_id, WorkflowVersion.version, WorkflowVersion.content_hash))
    for workflow_id, version, content_hash in rows:
        if content_hash in facts:
            continue
        workflow = registry.load(session, workflow_id, version, content_hash)
        facts[content_hash] = WorkflowFacts(workflow.spec.category, frozenset(workflow.states_with_outcome("done")),
                                             workflow.figure)
    return facts


def check(session: Session) -> list[str]:
    """Tallies that differ from a recount of the sources (empty when all agree).

    Both are read in one snapshot, so a check on a live system (awards and claims landing
    meanwhile) never reports a difference that no single moment had."""
    facts = workflow_facts(session)
    session.rollback()
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    else:
        session.connection().exec_driver_sql("BEGIN")  # pysqlite reads outside a transaction otherwise
    try:
        return tallies.check(session, facts)
    finally:
        session.rollback()


def rebuild(session: Session) -> int:
    """Replace every tally with the recount, in the caller's transaction."""
    return tallies.rebuild(session, workflow_facts(session))
