"""Prefect: the thin layer that mirrors each demand as a flow run.

The domain (engine, ledger, monitor) never imports Prefect; these modules call it. The
database stays the source of truth: Prefect runs mirror it, run the automated steps with
retries, keep the SLA clocks and show what is stuck.
"""
