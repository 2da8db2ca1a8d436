"""The `yijia` command line: exit codes and messages a person (and CI) can rely on."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from admin.cli import main
from schemas.settings import get_settings

CORPUS = Path(__file__).parent.parent / "flows" / "workflow" / "corpus"
SHIPPED = sorted((Path(__file__).parents[2] / "workflows").glob("*.yaml"))


@pytest.fixture
def cli(db_url, monkeypatch):
    monkeypatch.setenv("YIJIA_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_validate_all_workflows(cli):
    result = cli.invoke(main, ["workflows", "validate"])
    assert result.exit_code == 0, result.output
    assert result.output.count("OK") == len(SHIPPED) == 5  # every shipped workflow, resource_request too


def test_validate_reports_every_error_and_fails(cli):
    result = cli.invoke(main, ["workflows", "validate", str(CORPUS / "three_errors.yaml"),
                               str(CORPUS / "python_tag.yaml")])
    assert result.exit_code == 1
    assert "three_errors.yaml:9:23: 不认识的执行人 mayor" in result.output
    assert "python_tag.yaml:2:8:" in result.output
    english = cli.invoke(main, ["workflows", "validate", "--lang", "en", str(CORPUS / "tab_indent.yaml")])
    assert "tabs" in english.output and english.exit_code == 1


def test_graph(cli):
    result = cli.invoke(main, ["workflows", "graph", "micro_wish"])
    assert result.exit_code == 0 and "open --> claimed: 认领" in result.output
    assert cli.invoke(main, ["workflows", "graph", "nope"]).exit_code == 1


def test_publish_and_ledger_check(cli):
    first = cli.invoke(main, ["workflows", "publish"])
    assert first.exit_code == 0 and "micro_wish v1" in first.output
    assert "micro_wish v1" in cli.invoke(main, ["workflows", "publish"]).output  # unchanged: same version
    stored = cli.invoke(main, ["workflows", "check-stored"])
    assert stored.exit_code == 0 and f"{len(SHIPPED)}/{len(SHIPPED)} stored versions compile" in stored.output
    check = cli.invoke(main, ["ledger", "check"])
    assert check.exit_code == 0 and "ledger OK" in check.output


def test_stats_check_and_rebuild(cli, factory):
    from sqlalchemy import update

    from schemas.tables import Tally
    from tests.flows.walker import Walker
    from tests.world import build_world

    world = build_world(factory)
    Walker(factory, world).rated_wish("记分的心愿", rating=5)  # done, points issued: tallies written
    ok = cli.invoke(main, ["stats", "check"])
    assert ok.exit_code == 0 and "tallies OK" in ok.output
    with factory() as s:
        s.execute(update(Tally).where(Tally.key == "issued").values(value=Tally.value + 1))
        s.commit()
    broken = cli.invoke(main, ["stats", "check"])
    assert broken.exit_code == 1 and "issued" in broken.output
    assert "rebuilt" in cli.invoke(main, ["stats", "rebuild"]).output
    assert cli.invoke(main, ["stats", "check"]).exit_code == 0
