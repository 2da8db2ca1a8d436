"""People on their own phones, for the journey tests: a real Chromium (Debian's, headless) at
390×844 in Chinese, against a real server on the test database.

A journey starts on the person's home page and goes on by tapping what they see: `tap` a
button, `follow` a link, `tab` in the bottom bar. `scan` is the one deep link, standing for a
phone camera reading a QR code. Every page is screenshotted into tests/artifacts/<journey>/,
and a page answering 5xx fails the journey.
"""
from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import segno
from werkzeug.serving import make_server

from tests.admin.conftest import PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" \
      b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"

if os.environ.get("YIJIA_REQUIRE_BROWSER") and not Path(CHROMIUM).exists():
    raise RuntimeError("YIJIA_REQUIRE_BROWSER is set but Debian's chromium is missing")
needs_browser = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed "
                                   "(apt-get install chromium fonts-wqy-microhei; .ci/run does it)")


def serve(app) -> Iterator[str]:
    """The app on a free port in a thread, for as long as the test runs."""
    app.config["SERVER_NAME"] = None
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def door_link(app, base: str, demand_id: int) -> str:
    """What the activity's sign-in QR code at the door opens now (flows/engine/presence.py):
    for a walk about something else than the QR page, which scans it without printing it."""
    from flows.engine import presence

    return f"{base}/d/{demand_id}/here?code={presence.code(app.config['SECRET_KEY'], demand_id, time.time())}"


def launch() -> Iterator[Any]:
    """One headless Chromium for a module's journeys."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                                          "--no-first-run", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


class Person:
    """One user on their own phone: a browser context of 390×844, logged in, on their home page."""

    def __init__(self, browser, base: str, username: str, shots: Path, *, log_in: bool = True,
                 password: str = PASSWORD):
        self.context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1,
                                           is_mobile=True, has_touch=True, locale="zh-CN")
        self.page = self.context.new_page()
        self.base, self.username, self.shots, self.n = base, username, shots, 0
        self.failures: list[str] = []
        self.password = password
        self.context.on("response", self._watch)
        if log_in:
            self.log_in()

    def _watch(self, response) -> None:
        if response.status >= 500:
            self.failures.append(f"{response.status} {response.url}")

    def log_in(self) -> None:
        """From the home page: 登录, the form, and back home."""
        self.page.goto(f"{self.base}/")
        self.follow("登录")
        self.page.fill("#username", self.username)
        self.page.fill("#password", self.password)
        self.page.click("main button[type=submit]")  # the log-in form's, not the 长辈版 switch
        self.page.wait_for_url(f"{self.base}/")

    # ---- moving by tapping --------------------------------------------------------------

    def home(self) -> None:
        """The brand in the top bar leads home."""
        self.page.locator("a.brand").click()
        self.page.wait_for_load_state()

    def tab(self, name: str) -> None:
        """A tab of the bottom bar (大厅, 我的, 积分超市, 资讯, 便民)."""
        self.page.locator("nav.tabs").get_by_role("link", name=name, exact=True).click()
        self.page.wait_for_load_state()

    def follow(self, text: str, *, exact: bool = False) -> None:
        """Tap a link (or a link styled as a button) by its text."""
        self.page.get_by_role("link", name=text, exact=exact).first.click()
        self.page.wait_for_load_state()

    def tap(self, text: str, *, exact: bool = False) -> None:
        """Tap a button by its text."""
        self.page.get_by_role("button", name=text, exact=exact).first.click()
        self.page.wait_for_load_state()

    def back(self) -> None:
        """The phone's back button."""
        self.page.go_back()
        self.page.wait_for_load_state()

    def scan(self, url: str) -> None:
        """A phone camera reads a QR code and opens its link (the one deep link allowed)."""
        self.page.goto(url)
        self.page.wait_for_load_state()

    # ---- looking ------------------------------------------------------------------------

    def says(self, text: str) -> bool:
        return text in self.page.inner_text("body")

    def flash(self) -> str:
        """The message the last action answered."""
        flashes = self.page.locator(".flash")
        return " ".join(flashes.all_inner_texts()) if flashes.count() else ""

    def shot(self, label: str) -> None:
        self.n += 1
        self.shots.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(self.shots / f"{self.username}-{self.n:02d}-{label}.png"), full_page=True)

    def image_drawn(self, selector: str) -> bool:
        """The image loaded and was drawn (a broken SVG has no natural size)."""
        return bool(self.page.eval_on_selector(selector, "img => img.complete && img.naturalWidth > 0"))

    def qr_modules(self, selector: str, scale: int) -> list[str]:
        """The QR code as the camera sees it: the image drawn on a canvas, each module sampled at
        its centre ('1' dark, '0' light), border included."""
        return self.page.eval_on_selector(selector, """(img, scale) => {
            const c = document.createElement('canvas');
            c.width = img.naturalWidth; c.height = img.naturalHeight;
            const ctx = c.getContext('2d');
            ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, c.width, c.height);
            ctx.drawImage(img, 0, 0);
            const n = Math.round(c.width / scale), rows = [];
            const data = ctx.getImageData(0, 0, c.width, c.height).data;
            for (let y = 0; y < n; y++) {
              let row = '';
              for (let x = 0; x < n; x++) {
                const py = Math.floor(y * scale + scale / 2), px = Math.floor(x * scale + scale / 2);
                const i = (py * c.width + px) * 4;
                row += data[i] < 128 ? '1' : '0';
              }
              rows.push(row);
            }
            return rows;
        }""", scale)

    def another_tab(self) -> Person:
        """A second tab on the same phone (same log-in), opened on the home page."""
        tab = object.__new__(Person)
        tab.context, tab.page = self.context, self.context.new_page()
        tab.base, tab.username, tab.shots, tab.n, tab.failures = self.base, f"{self.username}-tab2", self.shots, 0, \
            self.failures
        tab.page.goto(f"{self.base}/")
        return tab

    def close(self) -> None:
        assert not self.failures, f"server errors seen by {self.username}: {self.failures}"
        self.context.close()


def qr_rows(text: str, border: int = 4) -> list[str]:
    """What a QR code of `text` must look like, module by module (what a camera decodes)."""
    return ["".join("1" if dark else "0" for dark in row)
            for row in segno.make_qr(text, error="m").matrix_iter(border=border)]
