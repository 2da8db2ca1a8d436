"""What every room stands on: database engines and transactions, migrations, the upload
store, the event log and outbox, refusals, distances, and the one translation catalogue.

Nothing here knows a workflow, a demand's rules or a point: it imports only `schemas`.
"""
