"""Pages in a real headless Chromium: the `browser` fixture (Debian's `chromium` driven by Playwright).

No browser download: CHROMIUM (PXQ_CHROMIUM) is the system's. In CI the browser tests must run;
elsewhere they skip with the reason when chromium or Playwright is missing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator

import pytest

CHROMIUM = os.environ.get("PXQ_CHROMIUM", "/usr/bin/chromium")


def _missing() -> str | None:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"no chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    missing = _missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests must run in CI: {missing}")
        pytest.skip(missing)
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield b
        finally:
            await b.close()


def _console_error(message, failures: list[str]) -> None:
    """An error in the browser's console: a script's `console.error`, a resource that failed to
    load, a Content-Security-Policy violation. The one kind left out is an API call answered 4xx:
    that is how the API tells a page what to show (the page shows it, and the test checks that)."""
    if message.type != "error":
        return
    url = (message.location or {}).get("url", "")
    answered_4xx = message.text.startswith("Failed to load resource: the server responded with a status of 4")
    if answered_4xx and "/api/" in url:
        return
    failures.append(f"console error: {message.text} ({url})")


async def new_page(browser, failures: list[str]):
    """A page of `browser` (or of a browser context) that notes in `failures` every request
    leaving this server, every uncaught JavaScript error and every console error."""
    page = await browser.new_page()
    # No CDN: every request the page makes goes to this server.
    page.on(
        "request",
        lambda r: None if r.url.startswith(("http://127.0.0.1", "blob:", "data:")) else failures.append(r.url),
    )
    page.on("pageerror", lambda e: failures.append(f"js error: {e}"))
    page.on("console", lambda m: _console_error(m, failures))
    return page


# WCAG's contrast ratio of an element's computed text colour against its computed background.
_CONTRAST_JS = """(el) => {
  const rgb = (c) => c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
  const lum = (c) => {
    const [r, g, b] = rgb(c).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  let bg = el;
  while (bg && getComputedStyle(bg).backgroundColor.replace(/\\s/g, "") === "rgba(0,0,0,0)") bg = bg.parentElement;
  const back = bg ? getComputedStyle(bg).backgroundColor : "rgb(255, 255, 255)";
  const [a, b] = [lum(getComputedStyle(el).color), lum(back)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


async def contrast(locator) -> float:
    """The contrast ratio a reader sees for `locator`'s text (at least 4.5 for body text)."""
    return await locator.evaluate(_CONTRAST_JS)


_WIDER_JS = """(width) => [...document.querySelectorAll('body *')]
  .filter((e) => e.getBoundingClientRect().right > width + 1 && !e.closest('.table-wrap'))
  .map((e) => e.tagName + '#' + e.id).slice(0, 8)"""


async def wider_than_screen(page) -> list[str]:
    """Elements that stick out of the screen (tables scroll in their `.table-wrap`, by design)."""
    width = (page.viewport_size or {"width": 375})["width"]
    return await page.evaluate(_WIDER_JS, width)
