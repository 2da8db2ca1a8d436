"""A mini-program developer opens the API's page (/api/v1/docs) on a phone: Swagger UI, served
by Yijia itself under its Content-Security-Policy, reads the OpenAPI 3.1 document and lists the
operations and each workflow step's input."""
from __future__ import annotations

from tests.admin.journeys.people import ARTIFACTS, needs_browser

pytestmark = needs_browser


def test_the_api_page_renders_the_document(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    failed: list[str] = []
    # (the browser's own guess at /favicon.ico is not the page's)
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    page.goto(f"{server}/api/v1/docs")
    page.locator(".swagger-ui .info .title").wait_for(timeout=30_000)
    assert "伊家 Yijia API" in page.inner_text(".swagger-ui .info .title")
    assert page.locator(".opblock").count() >= 25  # every operation
    assert "完成服务" in page.inner_text(".swagger-ui")  # micro_wish.serve's input, titled from the workflow
    assert not page.locator("text=Unable to render this definition").count()
    (ARTIFACTS / "api").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "api" / "docs.png"))
    assert failed == []
    context.close()
