"""The one catalogue is complete: every sentence people can read has its English, and the
domain renders through it without Flask."""
from __future__ import annotations

import re

from babel.messages.pofile import read_po

from flows.core import i18n
from flows.core.messages import MESSAGES
from flows.core.refusals import Refused

PO = i18n.DIRECTORY / "en" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"\{(\w+)\}|%\((\w+)\)s")


def _catalogue():
    with PO.open("rb") as f:
        return read_po(f)


def test_every_entry_translated_and_not_fuzzy():
    missing = [m.id for m in _catalogue() if m.id and (not m.string or "fuzzy" in m.flags)]
    assert missing == [], f"run `make i18n` and translate: {missing[:10]}"


def test_translations_keep_their_placeholders():
    """Every form of a message (a plural's singular and plural forms too) keeps the source's
    placeholders: a dropped or misspelt one would fail when the sentence is rendered."""
    def forms(text):
        return [text] if isinstance(text, str) else list(text)

    for m in _catalogue():
        if m.id and m.string:
            wanted = set().union(*(PLACEHOLDER.findall(i) for i in forms(m.id)))
            for form in forms(m.string):
                assert set(PLACEHOLDER.findall(form)) == wanted, m.id


def test_every_domain_message_is_in_the_catalogue():
    ids = {m.id for m in _catalogue()}
    assert [code for code, text in MESSAGES.items() if text not in ids] == []


def test_domain_renders_both_languages_without_flask():
    refusal = Refused("state", {"state": "待认领", "step": "评价"}, fields={"ends_at": "结束时间不能早于开始时间"})
    assert refusal.message() == "当前状态是“待认领”，不能评价"
    assert "cannot" in refusal.message("en_US")
    assert refusal.fields_in("en") == {"ends_at": "the end time cannot be before the start time"}
    assert refusal.fields == {"ends_at": "结束时间不能早于开始时间"}
