"""Typed text as others will see it: invisible characters go before "required" and lengths are
checked (a title of one zero-width space showed as an empty card)."""
from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from flows.core.text import visible

INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u202e\u2066\u00ad\x00\x07"


def test_invisible_characters_go_and_the_ends_are_trimmed():
    assert visible(INVISIBLE) == ""
    assert visible(f" {INVISIBLE} ") == ""
    assert visible("\u200b修\u200b灯\u202e ") == "修灯"
    assert visible("第一行\n第二行\t完") == "第一行\n第二行\t完"  # line breaks and tabs lay out a text
    assert visible(None) == "" and visible("  plain  ") == "plain"


@given(st.text())
def test_what_is_left_has_nothing_invisible_and_cleaning_twice_changes_nothing(text):
    once = visible(text)
    assert visible(once) == once
    assert not any(unicodedata.category(ch) in ("Cf", "Cc") and ch not in "\t\n\r" for ch in once)
