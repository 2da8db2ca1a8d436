"""A person's data on request: `yijia users export` gives everything that names them, and
`yijia users erase` leaves nothing that identifies them while the ledger still balances."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from admin.cli import main
from flows.points import ledger
from schemas.settings import get_settings
from schemas.tables import Demand, LoginSession, Member, ServiceRecord, User
from tests.flows.walker import Walker


@pytest.fixture
def cli(db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("YIJIA_DATABASE_URL", db_url)
    monkeypatch.setenv("YIJIA_STORAGE_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _served_wish(factory, world) -> int:
    walk = Walker(factory, world)
    walk.start("res_a", "micro_wish", {"title": "帮王奶奶修水管", "description": "电话 13812341234"})
    walk.act("cadm_a", "publish")
    walk.act("mem1", "claim")
    walk.act("mem1", "serve", {"hours": 2, "note": "换了阀门"})
    walk.act("res_a", "evaluate", {"rating": 5, "comment": "谢谢小李"})
    return walk.demand_id


def test_export_lists_everything_that_names_the_user(cli, world, factory):
    with factory() as s, s.begin():
        s.execute(update(User).where(User.username == "res_a").values(display_name="王秀英", phone="13812341234"))
    demand_id = _served_wish(factory, world)
    result = cli.invoke(main, ["users", "export", "res_a"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["users"][0]["display_name"] == "王秀英" and "password_hash" not in data["users"][0]
    assert [d["id"] for d in data["demands"]] == [demand_id]
    assert {e["step"] for e in data["events"]} >= {"evaluate"}
    assert cli.invoke(main, ["users", "export", "nobody"]).exit_code == 1


def test_erase_removes_what_identifies_and_keeps_the_books(cli, world, factory):
    demand_id = _served_wish(factory, world)
    with factory() as s, s.begin():
        s.execute(update(User).where(User.username == "mem1").values(display_name="李明", phone="13900001111"))
    assert cli.invoke(main, ["users", "erase", "mem1"]).exit_code == 1  # asks for --yes first
    result = cli.invoke(main, ["users", "erase", "mem1", "--yes"])
    assert result.exit_code == 0, result.output
    with factory() as s:
        user = s.get(User, world["mem1"])
        assert (user.username, user.display_name, user.phone, user.is_active) == (
            f"erased-{world['mem1']}", "已注销用户", None, False)
        assert s.get(Member, world["mem1"]).work_unit is None
        assert not s.scalars(select(LoginSession).where(LoginSession.user_id == world["mem1"])).all()
        assert s.scalar(select(ServiceRecord.note).where(ServiceRecord.user_id == world["mem1"])) is None
        assert s.get(Demand, demand_id).state is not None  # the demand stays, counted
        assert ledger.check(s) == []
    assert cli.invoke(main, ["users", "export", "mem1"]).exit_code == 1  # the name is gone
