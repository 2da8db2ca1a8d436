"""What the demand's page says people typed: a start form's own fields (a booking's 备注) by
their titles, free text only to whom personal data is shown, read from the workflow."""
from __future__ import annotations

from pathlib import Path

from flows.engine.notes import start_notes
from flows.workflow.compiler import compile_source

ROOT = Path(__file__).resolve().parents[3]


def test_a_bookings_note_is_said_by_its_title_and_only_to_its_people():
    workflow = compile_source((ROOT / "workflows" / "appointment.yaml").read_text(encoding="utf-8"))
    data = {"note": "请带推子", "title": "not a note: the demand's own column"}
    assert start_notes(workflow, data, personal=True) == [("备注", "请带推子")]
    assert start_notes(workflow, data, personal=False) == []  # free text: names, numbers, addresses
    assert start_notes(workflow, {}, personal=True) == []

