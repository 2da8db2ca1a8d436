"""The engine: the one door for every change to a demand.

`start` creates a demand, `act` does a human step, `advance` does the automated steps that are
due, `apply_timeout` applies a step's SLA policy; each in one transaction with an event in the
log. Everything else here serves them: who may act (permissions), what a step writes
(records), automated effects (points, notices), and the read models of demands.
"""
from flows.engine.automated import advance
from flows.engine.door import act, check, start
from flows.engine.timeouts import apply_timeout

__all__ = ["act", "advance", "apply_timeout", "check", "start"]
