"""The Prefect UI answers "which demands in my district are stuck, at which step, and who
holds them" in a couple of clicks from the console: a real Prefect server with its UI, a
real browser, the console's stuck list as the way in."""
from __future__ import annotations

import os
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.admin.conftest import app, world  # noqa: F401  (the web app on the test world)
from tests.admin.journeys.people import CHROMIUM, Person

pytestmark = [pytest.mark.prefect, pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                                      reason="Debian's chromium is not installed")]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "prefect_ui"


@pytest.fixture(scope="module")
def prefect_ui():
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from tests.procs import PrefectServer

    server = PrefectServer(ui=True).start(timeout=180)
    try:
        with temporary_settings({PREFECT_API_URL: server.api}):
            yield server
    finally:
        server.stop()


@pytest.fixture
def stuck_in_two_districts(prefect_ui, factory, world, monkeypatch):  # noqa: F811
    """A claimed wish overdue in 伊美区 (held by mem1 of 财政局党支部), one in 铁力市, runs
    synced, the monitor run once: tags and artifacts published."""
    from prefect.client.orchestration import get_client

    from flows.orchestration import lifecycle, relay, worker
    from schemas.settings import get_settings
    from tests.flows.walker import Walker

    monkeypatch.setenv("YIJIA_AUTO_STEPS", "deferred")
    monkeypatch.setenv("YIJIA_INSTANCE", f"ui-{uuid.uuid4().hex[:10]}")
    monkeypatch.setenv("YIJIA_PREFECT_UI_URL", prefect_ui.base)
    get_settings.cache_clear()
    monkeypatch.setattr(lifecycle, "sessions", lambda: factory)
    long_ago = datetime.now(UTC) - timedelta(days=12)
    mine = Walker(factory, world)
    mine.start("res_a", "micro_wish", {"title": "张阿姨家的灯坏了"}, now=long_ago)
    mine.act("cadm_a", "publish", now=long_ago)
    mine.act("mem1", "claim", now=long_ago)
    theirs = Walker(factory, world)
    theirs.start("res_b", "micro_wish", {"title": "铁力市的心愿"}, community="cb", now=long_ago)
    with factory() as s:
        worker.apply_all(s)
    with get_client(sync_client=True) as client:
        assert relay.deliver(factory, client)["failed"] == 0
    assert lifecycle.monitor_stuck() == 2
    yield mine.demand_id, theirs.demand_id
    get_settings.cache_clear()


@pytest.fixture
def console(app):  # noqa: F811
    app.config["SERVER_NAME"] = None
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def test_a_district_admin_finds_their_stuck_demand_and_its_holder_in_prefect(stuck_in_two_districts, console,
                                                                             world):  # noqa: F811
    from playwright.sync_api import sync_playwright

    mine, theirs = stuck_in_two_districts
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"])
        try:
            admin = Person(browser, console, "dadm1", ARTIFACTS)
            admin.page.set_viewport_size({"width": 1280, "height": 900})
            admin.follow("管理后台")  # from the home page to the console
            row = admin.page.locator(f"tr[data-demand='{mine}']")
            assert "认领人（mem1） · 财政局党支部" in row.inner_text()
            admin.shot("console-stuck-list")

            # click 1: the district's stuck list in Prefect, with who holds each case
            with admin.page.expect_popup() as popup:
                admin.page.locator("#prefect-views a.prefect-artifact").first.click()
            artifact = popup.value
            artifact.wait_for_load_state()
            artifact.get_by_text(f"#{mine} 微心愿").first.wait_for(timeout=60_000)  # on the key's own page
            text = artifact.inner_text("body")
            assert "伊美区 · 超时未处理的需求" in text and "完成服务" in text
            assert "认领人 · 财政局党支部" in text  # the holder, by role and organisation: no names
            assert f"#{theirs} " not in text and "张阿姨" not in text and "mem1" not in text
            artifact.set_viewport_size({"width": 1280, "height": 720})
            artifact.screenshot(path=str(ARTIFACTS / "prefect-district-stuck-list.png"), full_page=True)

            # click 2: that demand's run, named without personal data and marked overdue
            artifact.get_by_text("打开运行").first.click()
            artifact.get_by_text(f"微心愿 #{mine} · 旭日社区").first.wait_for(timeout=60_000)
            assert "服务中 · 超时" in artifact.inner_text("body")
            artifact.screenshot(path=str(ARTIFACTS / "prefect-run.png"), full_page=True)

            # the district's overdue runs, one filter (the UI's tag filter is OR: one tag says both)
            with admin.page.expect_popup() as popup:
                admin.page.locator("#prefect-views a.prefect-runs").first.click()
            runs = popup.value
            runs.set_viewport_size({"width": 1280, "height": 900})
            runs.get_by_text(f"微心愿 #{mine} · 旭日社区").first.wait_for(timeout=60_000)
            assert f"#{theirs} " not in runs.inner_text("body")
            runs.screenshot(path=str(ARTIFACTS / "prefect-district-overdue-runs.png"), full_page=True)
        finally:
            browser.close()
    assert os.path.exists(ARTIFACTS / "prefect-run.png")
