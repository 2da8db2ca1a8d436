"""Every status code the document promises for an operation is reached by a test of this
directory (the issue: "every documented status code reachable"). Run last in the directory
(pytest takes its modules in name order); when only part of the directory ran, the record is
partial and the check is skipped rather than wrong."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.admin.api.conftest import REACHED

HERE = Path(__file__).parent


def test_every_documented_status_is_reached(app, request):
    ran = {Path(str(item.path)).name for item in request.session.items}
    modules = {p.name for p in HERE.glob("test_*.py")}
    if not modules <= ran:
        pytest.skip(f"only part of {HERE.name} ran: {sorted(modules - ran)} did not")
    document = app.test_client().get("/api/v1/openapi.json").json
    promised = {(method, path, int(status))
                for path, operations in document["paths"].items()
                for method, operation in operations.items() if isinstance(operation, dict) and "responses" in operation
                for status in operation["responses"] if status.isdigit()}
    missing = sorted(promised - REACHED)
    assert not missing, "documented but never answered in tests/admin/api:\n" + "\n".join(
        f"  {m.upper()} {p} {s}" for m, p, s in missing)
