"""Prefect: the thin layer that mirrors each demand as a flow run.

The domain (engine, ledger, monitor) never imports Prefect; these modules call it. The
database stays the source of truth: Prefect runs mirror it, run the automated steps with
retries, keep the SLA clocks and show what is stuck.

Run names, state names, automation descriptions and artifacts stay in Chinese, outside the
translation catalogue, on purpose: Prefect's UI is the operators' (the city's and districts'
staff, who work in Chinese), it has no language switch, and a name or a tag is a search key
that must read the same for everyone who filters by it.
"""
