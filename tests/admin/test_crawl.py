"""The crawler: log in as each demo role, follow every link reachable from the home page (GET
only, same origin, bounded), and fail on any 4xx/5xx or on an English page with Chinese that
is not the programme's data.

The rule for "untranslated", in English mode (`?lang=en`):
- Every visible text and every placeholder, aria-label, title and alt is checked, except in an
  element marked `lang="zh…"` (deliberate Chinese, such as the 中文 language switch).
- Chinese there is allowed only where it is data: the database's own words (names, titles,
  places, notes…), and what the published workflows say that their `en:` leaves in Chinese
  (a district's own workflow words; the shipped workflows give all theirs in English).
- A text passes when each of its Chinese characters lies inside an occurrence of such a data
  string: any short one (2–64 characters, e.g. a name inside "Place: 3号楼"), or a long one (a
  description, a news body) only as the whole text. So "取货码" written in a template without
  `_()`, or a sentence the catalogue lacks, fails, while a resident's own wish does not.
Console pages (Flask-Admin, /admin) are crawled for their status; their translation is
checked separately (see test_console_pages_are_translated).
"""
from __future__ import annotations

import re
import shutil
from collections import deque
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest
from sqlalchemy import JSON, String, Text, select, text
from sqlalchemy.engine import make_url

from admin.app import create_app
from flows.core.db import make_engine, make_sessionmaker
from flows.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo
from flows.people.privacy import mask_name
from flows.workflow import registry
from schemas.tables import Base, User, WorkflowVersion
from tests.conftest import ON_PG

MAX_PAGES = 150  # per role and language
MAX_DEPTH = 4
MAX_QUERIES_PER_PATH = 3  # sorting, filters and pages of one list are the same page
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CHECKED_ATTRIBUTES = ("placeholder", "aria-label", "title", "alt")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
ROLES = [username for username, _ in DEMO_LOGINS]


CRAWLED = ROLES


# ---- the demo, once for the module --------------------------------------------------------

@pytest.fixture(scope="module")
def demo(template_db, tmp_path_factory) -> dict[str, Any]:
    """The Yichun demo (≈18 s to load) in a database of this module's own, and its data strings."""
    if ON_PG:
        url = template_db
        engine = make_engine(url)
        with engine.begin() as conn:
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        target = tmp_path_factory.mktemp("crawl") / "demo.db"
        shutil.copy(make_url(template_db).database, target)
        url = f"sqlite:///{target}"
        engine = make_engine(url)
    factory = make_sessionmaker(engine)
    load_demo(factory)
    with factory() as session:
        short, whole = _data_strings(session)
    engine.dispose()
    return {"url": url, "short": short, "whole": whole}


@pytest.fixture(scope="module")
def demo_app(demo, tmp_path_factory):
    app = create_app({"TESTING": True, "DATABASE_URL": demo["url"], "WTF_CSRF_ENABLED": False,
                      "STORAGE_DIR": tmp_path_factory.mktemp("storage")})
    yield app
    app.extensions["yijia.engine"].dispose()


def _data_strings(session) -> tuple[set[str], set[str]]:
    """(short, whole): the programme's data in Chinese, from every text column of the database
    and from what the published workflows say."""
    values: set[str] = set()
    for table in Base.metadata.sorted_tables:
        if table.name == WorkflowVersion.__tablename__:
            continue  # the YAML source with its comments: read through the compiled workflows below
        for column in table.columns:
            if isinstance(column.type, (String, Text)):
                values.update(v for v in session.scalars(select(column).distinct()) if v)
            elif isinstance(column.type, JSON):  # no DISTINCT on PostgreSQL's json
                for value in session.scalars(select(column)):
                    values.update(_strings(value))
    for row in session.execute(select(WorkflowVersion.workflow_id, WorkflowVersion.version,
                                      WorkflowVersion.content_hash)):
        # as an English reader gets it: a word the workflow gives in English (`en:`) is no data
        # in Chinese any more; one it leaves out still is
        values.update(_strings(registry.load(session, *row).in_language("en").spec.model_dump(mode="json",
                                                                                         exclude={"en"})))
    values = {" ".join(v.split()) for v in values if CJK.search(v)}
    # A name shown to someone who may not see it in full is masked (张** — flows/people/privacy):
    # still the data's own characters.
    values |= {mask_name(name) for name in session.scalars(select(User.display_name)) if CJK.search(name or "")}
    return {v for v in values if 2 <= len(v) <= 64}, values


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


# ---- reading a page ------------------------------------------------------------------------

class Page(HTMLParser):
    """Links to follow, resources to fetch, and the texts a reader sees (outside lang="zh…")."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.resources: list[str] = []
        self.texts: list[str] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, inside deliberate Chinese or script/style)

    def _skipping(self) -> bool:
        return bool(self._stack) and self._stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        skip = self._skipping() or tag in ("script", "style") or values.get("lang", "").startswith("zh")
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        if tag in ("img", "script") and values.get("src"):
            self.resources.append(values["src"])
        if tag == "link" and values.get("href"):
            self.resources.append(values["href"])
        if not skip:
            self.texts += [values[a] for a in CHECKED_ATTRIBUTES if values.get(a)]
            if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
                self.texts.append(values["value"])
        if tag not in VOID:
            self._stack.append((tag, skip))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break

    def handle_data(self, data: str) -> None:
        if not self._skipping() and data.strip():
            self.texts.append(" ".join(data.split()))


def untranslated(texts: list[str], short: set[str], whole: set[str]) -> list[str]:
    """The texts whose Chinese is not covered by data (see the module's docstring)."""
    problems = []
    for item in texts:
        if not CJK.search(item) or item in whole:
            continue
        covered = [False] * len(item)
        for start in range(len(item)):
            for end in range(min(len(item), start + 64), start + 1, -1):
                if item[start:end] in short:
                    covered[start:end] = [True] * (end - start)
                    break
        if any(CJK.match(ch) and not ok for ch, ok in zip(item, covered, strict=True)):
            problems.append(item)
    return problems


# ---- crawling ------------------------------------------------------------------------------

def _follow(href: str, here: str) -> str | None:
    """The same-origin path to visit for a link, or None."""
    href = urldefrag(href)[0]
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not href or href.startswith("//"):
        return None  # another site (or a protocol-relative link)
    if not href.startswith("/"):
        href = here.rsplit("/", 1)[0] + "/" + href if not href.startswith("?") else urlsplit(here).path + href
    if "lang=" in href or href.startswith("/logout"):
        return None  # the crawl stays in one language and logged in
    return href


def crawl(client, lang: str) -> dict[str, tuple[int, str]]:
    """Breadth-first from the home page: every reachable page's status (and its HTML)."""
    client.get(f"/?lang={lang}")
    seen: dict[str, tuple[int, str]] = {}
    per_path: dict[str, int] = {}
    todo: deque[tuple[str, int]] = deque([("/", 0)])
    resources: set[str] = set()
    while todo and len(seen) < MAX_PAGES:
        url, depth = todo.popleft()
        if url in seen:
            continue
        path = urlsplit(url).path
        if per_path.get(path, 0) >= MAX_QUERIES_PER_PATH:
            continue
        per_path[path] = per_path.get(path, 0) + 1
        response = client.get(url)
        html = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        seen[url] = (response.status_code, html)
        if not html or response.status_code >= 300 or depth >= MAX_DEPTH:
            continue
        page = Page()
        page.feed(html)
        for href in page.links:
            target = _follow(href, url)
            if target is not None and target not in seen:
                todo.append((target, depth + 1))
        resources.update(r for r in page.resources if _follow(r, url))
    for resource in sorted(resources):
        if resource not in seen:
            seen[resource] = (client.get(resource).status_code, "")
    return seen


def _login(app, username: str):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, f"log-in failed for {username}"
    return client


@pytest.mark.parametrize("username", CRAWLED)
def test_every_page_a_role_reaches_answers_and_is_in_english(demo_app, demo, username):
    pages = crawl(_login(demo_app, username), "en")
    assert len(pages) >= 8, sorted(pages)  # the crawl went somewhere
    failing = {url: status for url, (status, _) in pages.items() if status >= 400}
    assert not failing, failing
    problems = _untranslated_pages(pages, demo, console=False)
    assert not problems, problems


def _untranslated_pages(pages: dict[str, tuple[int, str]], demo: dict[str, Any], console: bool) -> dict[str, list[str]]:
    problems = {}
    for url, (_, html) in pages.items():
        if html and url.startswith("/admin") == console:
            page = Page()
            page.feed(html)
            found = untranslated(page.texts, demo["short"], demo["whole"])
            if found:
                problems[url] = found
    return problems


def test_console_pages_are_translated(demo_app, demo):
    pages = crawl(_login(demo_app, "admin_yimei"), "en")
    assert not _untranslated_pages(pages, demo, console=True)


@pytest.mark.parametrize("username", CRAWLED)
def test_every_page_a_role_reaches_answers_in_chinese(demo_app, username):
    pages = crawl(_login(demo_app, username), "zh")
    assert not {url: status for url, (status, _) in pages.items() if status >= 400}
    # and names itself in its <title> (a tab, the history, a screen reader), the brand after it:
    # a page whose title is the brand alone is one of many alike
    unnamed = {url for url, (_, html) in pages.items()
               if html and not url.startswith("/admin") and urlsplit(url).path != "/"
               and _title(html) == "党群伊家"}
    assert not unnamed, sorted(unnamed)


def _title(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    assert found, "a page without <title>"
    return " ".join(found.group(1).split())


def test_the_rule_catches_untranslated_text(demo):
    """The rule itself: data passes, UI words outside the catalogue do not."""
    assert untranslated(["Place：旭日社区", "伊美区组织部", "Points 12"], demo["short"], demo["whole"]) == []
    assert untranslated(["取货码 ABC", "请先登录", "系统 · 11-25"], demo["short"], demo["whole"]) == [
        "取货码 ABC", "请先登录", "系统 · 11-25"]
