"""README screenshots with the real model: ASSISTANT_UPDATE_SCREENSHOT=1 saves them into docs/screenshots/.

Each is a viewport (not a whole page) reduced to a 256-colour palette, so the PNGs stay small.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from assistant.engine import Assistant
from assistant.server import create_app
from tests.web.browser_helpers import DESKTOP, PHONE, Watch, app_page, ask, open_chat
from tests.web.conftest import live_server

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
MAX_PNG_BYTES = 200_000


@pytest.fixture(scope="module")
def real_url(real_assistant: Assistant) -> Iterator[str]:
    with live_server(create_app(real_assistant)) as url:
        yield url


def save(page: Any, name: str, tmp_path: Path) -> Path:
    raw = tmp_path / f"{name}.raw.png"
    page.screenshot(path=str(raw))
    shot = tmp_path / f"{name}.png"
    Image.open(raw).convert("RGB").quantize(colors=256).save(shot, optimize=True)
    assert 10_000 < shot.stat().st_size < MAX_PNG_BYTES
    if os.environ.get("ASSISTANT_UPDATE_SCREENSHOT") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot.replace(SCREENSHOTS / f"{name}.png")
    return shot


def top_of(page: Any, exchange: Any) -> None:
    exchange.evaluate("e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 12)")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshot_desktop(chromium: Any, real_url: str, scheme: str, tmp_path: Path) -> None:
    with app_page(chromium, viewport=DESKTOP, color_scheme=scheme, device_scale_factor=1) as page:
        watch = Watch(page)
        open_chat(page, real_url)
        exchange = ask(page, "How much magnesium glycinate should I take for sleep?")
        assert exchange.locator("ol.passages > li").count() >= 1
        if scheme == "light":  # the source beside the chat, and a citation's preview
            exchange.locator("ol.passages a.cite").first.click()
            page.locator("#panel-cite").wait_for()
        top_of(page, exchange)
        exchange.locator("ol.passages a.cite").nth(1 if scheme == "light" else 0).hover()
        save(page, f"desktop-{scheme}", tmp_path)
        assert not watch.problems


def test_screenshot_phone(chromium: Any, real_url: str, tmp_path: Path) -> None:
    with app_page(chromium, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=1) as page:
        open_chat(page, real_url)
        exchange = ask(page, "Can I take magnesium with doxycycline?")
        assert exchange.locator("table").count() >= 1
        top_of(page, exchange)
        save(page, "phone", tmp_path)


def test_screenshot_emergency(chromium: Any, real_url: str, tmp_path: Path) -> None:
    with app_page(chromium, viewport=DESKTOP, device_scale_factor=1) as page:
        open_chat(page, real_url)
        exchange = ask(page, "I swallowed a whole bottle of magnesium pills and my heartbeat is very slow")
        assert exchange.locator(".notice a.tel").count() >= 1
        top_of(page, exchange)
        save(page, "emergency", tmp_path)


def test_screenshot_follow_up(chromium: Any, real_url: str, tmp_path: Path) -> None:
    with app_page(chromium, viewport=DESKTOP, device_scale_factor=1) as page:
        open_chat(page, real_url)
        ask(page, "Can I take magnesium with doxycycline?")
        exchange = ask(page, "How many hours apart should I take them?")
        assert exchange.locator(".context-note").count() == 1
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        top_of(page, exchange.locator(".bubble-user"))
        save(page, "follow-up", tmp_path)
