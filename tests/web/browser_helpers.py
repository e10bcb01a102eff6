"""Helpers for the browser tests: pages that reach only the app, asking, watching for errors, contrast."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# Anything that is not the app on loopback is refused: the page must work with no network but the app.
OTHER_ORIGINS = re.compile(r"^(?!http://127\.0\.0\.1:\d+/)(?!blob:)(?!data:)")
DESKTOP = {"width": 1280, "height": 900}
NARROW_DESKTOP = {"width": 1024, "height": 900}
PHONE = {"width": 390, "height": 844}


class Watch:
    """Collects dialogs, page errors, console errors (CSP violations among them) and refused requests."""

    def __init__(self, page: Any) -> None:
        self.dialogs: list[str] = []
        self.problems: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("console", self._console)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.problems.append(message.text)


@contextmanager
def app_page(browser: Any, **options: Any) -> Iterator[Any]:
    """A new page in its own context (fresh storage) that can reach nothing but the app."""
    options.setdefault("viewport", DESKTOP)
    context = browser.new_context(**options)
    context.route(OTHER_ORIGINS, lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


def ask(page: Any, question: str) -> Any:
    """Type ``question`` into the labelled box, press Enter and wait for its answer; returns the exchange."""
    before = page.locator("article.exchange .bubble-answer").count()
    page.get_by_label("Your question").fill(question)
    page.get_by_label("Your question").press("Enter")
    exchange = page.locator("article.exchange").nth(before)
    exchange.locator(".bubble-answer").wait_for()
    page.wait_for_function("() => !document.querySelector('article.exchange.pending')")
    return exchange


def open_chat(page: Any, url: str) -> None:
    page.goto(url + "/")
    page.wait_for_selector("#conversation[data-restored=true]", state="attached")


# Every visible text's colour against the background it is painted on (alpha composited up the tree).
CONTRAST_JS = """() => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return [0, 0, 0, 0];
    const v = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1]; };
  const over = (top, bottom) => { const a = top[3] + bottom[3] * (1 - top[3]); if (!a) return [0, 0, 0, 0];
    return [0, 1, 2].map(i => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a).concat([a]); };
  const background = (el) => { let colour = [0, 0, 0, 0]; const layers = [];
    for (let e = el; e; e = e.parentElement) layers.push(parse(getComputedStyle(e).backgroundColor));
    layers.push(parse(getComputedStyle(document.documentElement).backgroundColor));
    for (const layer of layers) { colour = over(colour, layer); if (colour[3] >= 0.999) break; }
    return colour[3] >= 0.999 ? colour : over(colour, [255, 255, 255, 1]); };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || !el || el.closest('.visually-hidden, [hidden], script')) continue;
    if (!el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
    const style = getComputedStyle(el);
    const bg = background(el);
    const fg = over(parse(style.color), bg);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    out.push({text: n.textContent.trim().slice(0, 40), ratio: (a + 0.05) / (b + 0.05), cls: el.className,
              tag: el.tagName});
  }
  return out;
}"""


def low_contrast(page: Any, minimum: float = 4.5) -> list[dict]:
    return [t for t in page.evaluate(CONTRAST_JS) if t["ratio"] < minimum]
