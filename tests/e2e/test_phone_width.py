"""Every page of the bureau console and the institution portal on a phone (375 px wide): nothing
is wider than the screen (wide tables scroll inside their own box), and no script fails. The
trainee's H5 pages are held to the same in tests/e2e/test_h5_pages.py."""

from __future__ import annotations

from tests.support.browser import new_page
from tests.support.console import console_login
from tests.support.portal import portal_login
from tests.support.settlement import passed, settlement_env, submit
from web.console import PAGES as CONSOLE_PAGES
from web.institution_pages import PAGES as PORTAL_PAGES

PHONE = {"width": 375, "height": 740}


async def _too_wide(page, base: str, paths: list[str]) -> dict[str, int]:
    wide = {}
    for path in paths:
        await page.goto(base + path)
        await page.wait_for_selector("#app:not([hidden])")
        await page.wait_for_load_state("networkidle")  # the page's own data is drawn
        width = await page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide[path] = width
    return wide


async def test_every_console_and_portal_page_fits_a_phone(client, svc, browser):
    env = await settlement_env(client, svc, trainees=2)  # rows in the queue, the classes, the statistics
    await submit(client, env, [passed(t["code"]) for t in env["trainees"]])
    base = str(client.make_url("")).rstrip("/")
    failures: list[str] = []

    clerk = await console_login(browser, client, failures)
    await clerk.set_viewport_size(PHONE)
    assert await _too_wide(clerk, base, [p.path for p in CONSOLE_PAGES]) == {}

    desk = await new_page(browser, failures)
    await desk.set_viewport_size(PHONE)
    await portal_login(desk, base, f"c{env['institution']['code']}")
    assert await _too_wide(desk, base, [p.path for p in PORTAL_PAGES]) == {}
    assert failures == []
