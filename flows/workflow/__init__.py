"""Workflows as data: the safe YAML loader, the compiler (every problem with file, line and
column), the immutable compiled value, the step input models generated from its forms, the
registry of published versions, and the state diagrams.

Imports `core` and `schemas` only: nothing here runs a demand.
"""
