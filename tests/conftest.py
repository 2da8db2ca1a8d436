"""Shared fixtures: a migrated database per test on SQLite (the default) or PostgreSQL.

Set `YIJIA_TEST_DATABASE_URL=postgresql://…/dbname` to run the whole suite on PostgreSQL;
`.ci/run` does so with a fresh database per run.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from flows.core import migrate
from flows.core.db import make_engine, make_sessionmaker
from schemas.tables import Base

# Tests are neither development (no key file written into var/) nor production (which refuses
# to start without a real secret key): each app gets a random key. Set before any settings are
# read, and inherited by the processes tests start.
os.environ.setdefault("YIJIA_ENV", "test")

PG_URL = os.environ.get("YIJIA_TEST_DATABASE_URL", "")
ON_PG = PG_URL.startswith("postgresql")


def pg_admin_url(url: str) -> str:
    """The same server's `postgres` database, for CREATE/DROP DATABASE."""
    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


def create_pg_database(url: str) -> None:
    """(Re)create the database named in `url`."""
    name = make_url(url).database
    engine = make_engine(pg_admin_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def drop_pg_database(url: str) -> None:
    name = make_url(url).database
    engine = make_engine(pg_admin_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> str:
    """Migrate once per session: a template SQLite file, or the PostgreSQL test database."""
    if ON_PG:
        create_pg_database(PG_URL)
        migrate.upgrade(PG_URL)
        return PG_URL
    path = tmp_path_factory.mktemp("template") / "template.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    return url


@pytest.fixture
def db_url(template_db, tmp_path) -> str:
    """A fresh, migrated, empty database for one test."""
    if ON_PG:
        engine = make_engine(template_db)
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return template_db
    source = Path(make_url(template_db).database)
    target = tmp_path / "test.db"
    shutil.copy(source, target)
    return f"sqlite:///{target}"


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def factory(engine):
    """A session factory bound to the test's database."""
    return make_sessionmaker(engine)


@pytest.fixture
def session(factory):
    with factory() as s:
        yield s


@pytest.fixture
def scratch_url(tmp_path):
    """An empty, unmigrated database (for migration tests), dropped afterwards."""
    if ON_PG:
        url = make_url(PG_URL)
        scratch = url.set(database=f"{url.database}_scratch").render_as_string(hide_password=False)
        create_pg_database(scratch)
        yield scratch
        drop_pg_database(scratch)
    else:
        yield f"sqlite:///{tmp_path / 'scratch.db'}"


@pytest.fixture(autouse=True)
def _fresh_settings():
    """Settings are cached per process; a test that changes YIJIA_* through monkeypatch must
    not leave its values behind. Set up first, torn down last: after monkeypatch's undo."""
    from flows.notices import overrides
    from schemas.settings import get_settings

    get_settings.cache_clear()
    overrides.forget()  # a district's wording is kept a few seconds per database URL, reused between tests
    yield
    get_settings.cache_clear()


# Channels for real (#17): a real SMTP server (aiosmtpd) and a local stand-in for the SMS
# provider and WeChat's API, configured through the settings as a deployment would be.
@pytest.fixture
def smtp():
    from tests.standins import Smtp

    server = Smtp().start()
    yield server
    server.stop()


@pytest.fixture
def provider():
    from tests.standins import Provider

    stand_in = Provider().start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def channels(monkeypatch, smtp, provider):
    """Every channel on, no quiet hours (each test that needs them sets them)."""
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMS_URL": f"{provider.url}/sms",
                        "SMS_API_KEY": "k-test", "WECHAT_API_URL": provider.url, "WECHAT_APP_ID": "wx-test",
                        "WECHAT_APP_SECRET": "s", "WECHAT_TEMPLATE_ID": "tpl-1", "QUIET_HOURS": ""}.items():
        monkeypatch.setenv(f"YIJIA_{name}", value)
    from schemas.settings import get_settings

    get_settings.cache_clear()
    return smtp, provider


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """After a test that talks to a Prefect server of its own, and before its fixtures stop that
    server: send what Prefect's background services still hold for it (events, logs), or drop
    it after a few seconds. Left queued, those items are retried against the stopped server when
    the test process exits, which held every run of the suite for six minutes or more."""
    yield
    if item.get_closest_marker("prefect"):
        from prefect.events.worker import EventsWorker
        from prefect.logging.handlers import APILogWorker

        for service in (EventsWorker, APILogWorker):
            service.drain_all(timeout=10)
