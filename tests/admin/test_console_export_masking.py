"""Exports below the district mask people's names, and only their names: a column shown as
姓名（用户名） kept its user name but came out as 史********* (the whole label masked as one name)."""
from __future__ import annotations

import pytest

from admin.console import names
from admin.console.secure import PERSONAL_NAMES, export_cell


@pytest.mark.parametrize("column", sorted(c for c, f in names.BY_COLUMN.items() if f is names.user))
def test_every_person_column_masks_the_name_and_keeps_the_user_name(column):
    assert column in PERSONAL_NAMES
    assert export_cell(column, "史小明（m0054）", masked=True) == "史**（m0054）"
    assert export_cell(column, "史小明（m0054）", masked=False) == "史小明（m0054）"


def test_a_plain_name_and_a_missing_person_are_masked_whole():
    assert export_cell("user.display_name", "欧阳娜娜", masked=True) == "欧***"
    assert export_cell("user_id", "#12", masked=True) == "#**"
