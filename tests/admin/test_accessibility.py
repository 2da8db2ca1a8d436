"""Accessibility (#20): axe-core on every page each demo role reaches, in both layouts, plus what
axe does not measure — text sizes, tap-target sizes and sideways scrolling — and, in 长辈版, the
7:1 contrast rule (axe's `color-contrast-enhanced`).

The pages are the crawler's (tests/admin/test_crawl.py: every link from the home page, GET only),
one per kind of page (`/d/12` and `/d/40` are the same template) for each role (a console page
once, for the first admin role that reaches it). One Chromium
(Debian's) for the module, one context per role and layout, at 320 px wide — the narrowest phone
the rules name, so a page that fits there fits at 390 too. axe comes bundled with
axe-playwright-python (no CDN). A page fails on any serious or critical violation.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from flows.demo import DEMO_PASSWORD
from tests.admin.journeys.people import launch, needs_browser, serve
from tests.admin.test_crawl import ROLES, _login, crawl, demo, demo_app  # noqa: F401  (fixtures)

pytestmark = [needs_browser, pytest.mark.slow]

WIDTH, HEIGHT = 320, 700
FAILING_IMPACTS = {"serious", "critical"}
# Rows past the fifth of a table or list are the same template with other data: axe reads the
# first five (a console list has 50 rows, and axe's time grows with them).
REPEATED = [["tbody tr:nth-child(n+6)"], [".communities li:nth-child(n+6)"], ["main > a.card:nth-of-type(n+6)"]]
# The console draws every kind of page from the same templates for every admin, only with more or
# fewer rows: each kind is checked once, by the first admin role that reaches it.
CONSOLE_CHECKED: set[str] = set()
LAYOUTS = {"standard": {"text": 14, "control": 44}, "elder": {"text": 18, "control": 60}}

# What a page draws, measured in the browser: text smaller than the layout allows, controls
# smaller than its target size, and a page wider than the screen. The skip link (off-screen until
# focused), screen-reader-only text and inline links inside a sentence (WCAG 2.5.5's exception)
# are not targets; the console (Flask-Admin, /admin) is held to axe's rules only.
MEASURE = """([minText, minControl]) => {
  const problems = [];
  const seen = el => {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && r.bottom > 0 && s.visibility !== 'hidden' &&
           !el.closest('.visually-hidden, .skip, [hidden]');
  };
  const name = el => (el.id ? '#' + el.id : el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ')[0] : ''))
                     + ' "' + (el.innerText || el.value || '').trim().slice(0, 20) + '"';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || ['SCRIPT', 'STYLE'].includes(el.tagName) || !seen(el)) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < minText - 0.05) problems.push(`text ${size}px: ${name(el)}`);
  }
  const controls = 'button, .button, input:not([type=hidden]):not([type=radio]):not([type=checkbox]), select, textarea,'
                 + ' nav.tabs a, .bar a, .links a, a.card, .when label, .stars label';
  for (const el of document.querySelectorAll(controls)) {
    if (!seen(el) || (el.type === 'file')) continue;
    const r = el.getBoundingClientRect();
    if (r.height < minControl - 0.5) problems.push(`control ${Math.round(r.width)}x${Math.round(r.height)}: ${name(el)}`);
  }
  for (const el of document.querySelectorAll('a[href]')) {  // a link on its own (not inside a sentence) is a target too
    if (!seen(el) || el.closest(controls) || el.matches(controls)) continue;
    const parent = el.parentElement, alone = parent && parent.innerText.trim() === el.innerText.trim();
    const height = el.getBoundingClientRect().height;
    if (alone && height < 44 - 0.5) problems.push(`link ${Math.round(height)}px: ${name(el)}`);
  }
  const wide = document.documentElement.scrollWidth;
  if (wide > window.innerWidth + 1) problems.push(`scrolls sideways: ${wide}px`);
  return problems;
}"""


def _kind(url: str) -> str:
    """One page per kind: ids and query values do not make another page; in the console a query
    (sorting, page size, period) never does."""
    parts = urlsplit(url)
    path = re.sub(r"/\d+", "/#", parts.path)
    if not parts.query or path.startswith("/admin"):
        return path
    return path + "?" + "&".join(sorted(k.split("=")[0] for k in parts.query.split("&")))


def pages_of(app, username: str) -> list[str]:
    """The HTML pages this role reaches, one of each kind."""
    kinds: dict[str, str] = {}
    for url, (status, html) in crawl(_login(app, username), "zh").items():
        if status == 200 and html and "/logout" not in url:
            kinds.setdefault(_kind(url), url)
    return sorted(kinds.values())


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch()


@pytest.fixture(scope="module")
def site(demo_app) -> Iterator[str]:  # noqa: F811  (demo_app is the crawler's fixture)
    yield from serve(demo_app)


@pytest.fixture(scope="module")
def axe() -> str:
    """axe-core as axe-playwright-python bundles it (no CDN): injected into every page of a context."""
    from axe_playwright_python.base import AXE_SCRIPT

    return AXE_SCRIPT


def _phone(browser, site: str, username: str, layout: str, axe: str):
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, device_scale_factor=1, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    context.add_init_script(axe)  # once per context rather than sent with every page
    if layout == "elder":
        context.add_cookies([{"name": "yijia_elder", "value": "1", "url": site}])
    page = context.new_page()
    page.goto(f"{site}/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{site}/")
    return context, page


def _violations(page, layout: str, console: bool) -> list[str]:
    rules = {"color-contrast-enhanced": {"enabled": layout == "elder" and not console}}
    result = page.evaluate("([context, options]) => axe.run(context, options)",
                           [{"exclude": REPEATED}, {"resultTypes": ["violations"], "rules": rules}])
    found = []
    for v in result["violations"]:
        enhanced = v["id"] == "color-contrast-enhanced"  # AAA: 'serious' by axe, but asked of 长辈版 only
        if v["impact"] in FAILING_IMPACTS or enhanced:
            targets = ", ".join(str(n["target"][0]) for n in v["nodes"][:3])
            found.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])}): {targets}")
    return found


@pytest.mark.parametrize("username", ROLES)
def test_every_page_passes_axe_and_the_size_rules_in_both_layouts(demo_app, site, browser, axe, username):  # noqa: F811
    urls = pages_of(demo_app, username)
    assert len(urls) >= 6, urls  # the crawl went somewhere
    problems: dict[str, list[str]] = {}
    for layout, limits in LAYOUTS.items():
        context, page = _phone(browser, site, username, layout, axe)
        for url in urls:
            console = url.startswith("/admin")
            if console and (layout == "elder" or _kind(url) in CONSOLE_CHECKED):
                continue  # the console has one layout, and the same templates for every admin
            page.goto(site + url)
            found = _violations(page, layout, console)
            if not console:
                assert page.evaluate("() => document.body.classList.contains('elder')") == (layout == "elder")
                found += page.evaluate(MEASURE, [limits["text"], limits["control"]])
            if found:
                problems[f"{layout} {url}"] = found
        context.close()
    CONSOLE_CHECKED.update(_kind(url) for url in urls if url.startswith("/admin"))
    assert not problems, "\n".join(f"{where}:\n  " + "\n  ".join(found) for where, found in problems.items())
