"""``/docs``: the vendored Swagger UI 5, served by the app itself under a CSP with no other origin."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import parse_html

LOCAL = {"127.0.0.1", "localhost"}


def _assets(client: TestClient) -> list[str]:
    root = parse_html(client.get("/docs").text)
    return [n.attrs.get("src") or n.attrs.get("href") or "" for n in root.find_all("script") + root.find_all("link")]


def test_docs_references_only_the_app_s_own_assets_and_no_inline_script(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    root = parse_html(response.text)
    scripts = root.find_all("script")
    assert scripts and all(s.attrs.get("src") and not s.text().strip() for s in scripts), "no inline script"
    assets = _assets(client)
    assert len(assets) >= 3 and all(a.startswith("/static/") for a in assets), assets
    assert "http" not in response.text.lower().replace('http-equiv', '')
    assert root.find("div", id="swagger-ui").attrs["data-openapi-url"] == "/openapi.json"  # type: ignore[union-attr]


def test_the_assets_are_served_and_are_swagger_ui_5(client: TestClient) -> None:
    for url in _assets(client):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.content, url
    bundle = next(u for u in _assets(client) if u.split("?")[0].endswith("swagger-ui-bundle.js"))
    assert re.search(r'"5\.\d+\.\d+"', client.get(bundle).text), "Swagger UI 5 (OpenAPI 3.1)"
    assert client.get("/static/vendor/swagger-ui/LICENSE").text.lstrip().startswith("Apache License")
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")


def test_the_docs_csp_allows_no_other_origin_and_nothing_inline(client: TestClient) -> None:
    csp = client.get("/docs").headers["content-security-policy"]
    directives = dict((d.split()[0], d.split()[1:]) for d in csp.split(";") if d.strip())
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    for name, sources in directives.items():
        assert set(sources) <= {"'self'", "'none'", "data:"}, f"{name}: {sources}"


@pytest.mark.browser
def test_docs_renders_the_operations_with_no_network_but_the_app(chromium: Any, live_url: str) -> None:
    elsewhere: list[str] = []
    problems: list[str] = []
    context = chromium.new_context()
    try:
        def route(r: Any) -> None:
            if urlsplit(r.request.url).hostname in LOCAL:
                r.continue_()
            else:
                elsewhere.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.add_init_script("window.__csp = []; document.addEventListener('securitypolicyviolation', "
                             "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI))")
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"{live_url}/docs")
        page.get_by_text("/api/ask", exact=True).first.wait_for(state="visible", timeout=30_000)
        assert page.get_by_text("/api/feedback", exact=True).first.is_visible()
        page.get_by_text("/api/ask", exact=True).first.click()  # expand the operation: its schema renders
        page.get_by_text("Try it out").first.click()
        page.locator("button.execute").first.click()  # the example question, sent to the app itself
        page.locator(".live-responses-table tbody .response-col_status").first.wait_for(timeout=30_000)
        assert page.locator(".live-responses-table tbody .response-col_status").first.inner_text().strip() == "200"
        violations = page.evaluate("window.__csp")
    finally:
        context.close()
    assert elsewhere == [], f"requests to other origins were attempted: {elsewhere}"
    assert problems == [], problems
    assert violations == [], f"the CSP blocked: {violations}"
