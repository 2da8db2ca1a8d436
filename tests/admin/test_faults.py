"""Faults the web app must survive with a clear answer: the SQLite file locked by another
process, and the upload directory full. Each ends with nothing half-done."""
from __future__ import annotations

import io
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import func, select

from admin.app import create_app
from flows.points import ledger
from schemas.settings import get_settings
from schemas.tables import Claim, Demand, ServiceRecord
from tests.admin.conftest import PASSWORD
from tests.admin.test_portal import PNG, _wish
from tests.conftest import ON_PG


def _state(factory, demand_id):
    with factory() as s:
        return s.get(Demand, demand_id).state


def _member(app, username="mem1"):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


@pytest.mark.skipif(ON_PG, reason="SQLite's file lock")
def test_sqlite_file_locked_by_another_process(db_url, world, factory, tmp_path, monkeypatch):
    monkeypatch.setenv("YIJIA_SQLITE_BUSY_TIMEOUT_MS", "300")
    get_settings.cache_clear()
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "WTF_CSRF_ENABLED": False,
                      "STORAGE_DIR": tmp_path / "storage", "SERVER_NAME": "yijia.test"})
    demand = _wish(None, world, factory)
    member = _member(app)
    path = db_url.split("///", 1)[1]
    locker = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, sys, time\n"
        f"c = sqlite3.connect({path!r}, isolation_level=None)\n"
        "c.execute('BEGIN EXCLUSIVE')\n"
        "print('locked', flush=True)\n"
        "sys.stdin.read()\n")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert locker.stdout.readline().strip() == "locked"
        answer = member.post(f"/d/{demand}/step/claim")
        page = answer.get_data(as_text=True)
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
        assert "系统繁忙" in page and "没有留下任何改动" in page
        english = member.post(f"/d/{demand}/step/claim?lang=en")
        assert english.status_code == 503 and "busy" in english.get_data(as_text=True).lower()
    finally:
        locker.stdin.close()
        locker.wait(timeout=10)
    assert _state(factory, demand) == "open"  # nothing half-written
    retried = member.post(f"/d/{demand}/step/claim?lang=zh", follow_redirects=True)
    assert "认领成功" in retried.get_data(as_text=True)
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Claim).where(Claim.demand_id == demand)) == 1
        assert ledger.check(s) == []
    get_settings.cache_clear()


def test_upload_directory_full(db_url, world, factory, tmp_path):
    """A real full filesystem: a 64 KiB tmpfs (needs root, as on the CI machine)."""
    full = tmp_path / f"full-{uuid.uuid4().hex[:6]}"
    full.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(full)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        (full / "ballast").write_bytes(b"\0" * 60 * 1024)  # leave less room than one photo
        app = create_app({"TESTING": True, "DATABASE_URL": db_url, "WTF_CSRF_ENABLED": False,
                          "STORAGE_DIR": full, "SERVER_NAME": "yijia.test"})
        demand = _wish(None, world, factory, stage="claimed")
        member = _member(app)
        photo = PNG + b"\0" * 16 * 1024
        answer = member.post(f"/d/{demand}/step/serve", data={"hours": "1", "note": "换好了",
                                                            "photo": (io.BytesIO(photo), "a.png")})
        page = answer.get_data(as_text=True)
        assert answer.status_code == 400 and "存储空间不足或不可写，照片未保存" in page
        assert "换好了" in page  # what was typed is kept in the form
        assert _state(factory, demand) == "claimed"
        with factory() as s:
            assert s.scalar(select(func.count()).select_from(ServiceRecord)) == 0
        assert not [p for p in full.rglob("*") if p.name != "ballast" and p.is_file()]  # no half file left
        (full / "ballast").unlink()
        ok = member.post(f"/d/{demand}/step/serve", data={"hours": "1", "note": "换好了",
                                                        "photo": (io.BytesIO(photo), "a.png")})
        assert ok.status_code == 302 and _state(factory, demand) == "served"
    finally:
        subprocess.run(["umount", "-l", str(full)], check=False)


def test_database_unreachable_gets_the_busy_page(app, login, world, factory):
    """The database gone (a PostgreSQL restart, a dead server): even loading the logged-in
    user fails, and the answer is still the plain 503 page, never a 500."""
    from flows.core.db import make_engine, make_sessionmaker

    member = login("mem1")
    demand = _wish(None, world, factory)
    app.extensions["yijia.sessions"] = make_sessionmaker(make_engine("postgresql://nobody@127.0.0.1:1/gone"))
    answer = member.post(f"/d/{demand}/step/claim")
    assert answer.status_code == 503 and "系统繁忙" in answer.get_data(as_text=True)
    assert member.get("/hall").status_code == 503
