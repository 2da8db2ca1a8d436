"""The console's dry run walks every shipped workflow to its end: adding a resident's sign-up
and a time window to the YAML must not leave an admin with a failing 试运行."""
from __future__ import annotations

import pytest

from flows.engine import dryrun
from schemas.settings import ROOT


@pytest.mark.parametrize("path", sorted((ROOT / "workflows").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_workflow_dry_runs(path):
    result = dryrun.run(path.read_text("utf-8"), str(path))
    assert result.ok, [(s.step, s.message) for s in result.steps if not s.ok]
    assert result.final_state and sum(result.points.values()) > 0
