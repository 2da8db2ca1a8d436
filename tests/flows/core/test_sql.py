"""The one upsert: it adds to an existing row, leaves one alone, and refuses a key that names
no column (its statement is built once per shape, so the driver would drop the key silently)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from flows.core.sql import upsert
from schemas.tables import Tally
from tests.world import build_world


def test_upsert_adds_and_refuses_a_misspelt_column(factory):
    world = build_world(factory)
    row = {"community_id": world["ca"], "day": date(2030, 1, 7), "key": "sql.probe", "value": 2}
    with factory() as s, s.begin():
        upsert(s, Tally, row, on=("community_id", "day", "key"), add=("value",))
        upsert(s, Tally, row, on=("community_id", "day", "key"), add=("value",))
        upsert(s, Tally, {**row, "value": 40}, on=("community_id", "day", "key"))  # no `add`: left alone
    with factory() as s:
        assert s.scalar(select(Tally.value).where(Tally.key == "sql.probe")) == 4
    with factory() as s, s.begin(), pytest.raises(ValueError, match="valeu"):
        upsert(s, Tally, {**row, "valeu": 1}, on=("community_id", "day", "key"), add=("value",))
