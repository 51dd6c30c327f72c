"""The bureau console in a browser: a page logged in as a bureau user."""

from __future__ import annotations

from tests.support.browser import new_page
from tests.support.factories import PASSWORD


async def console_login(browser, client, failures: list[str], username: str = "wuxi", path: str = "/console"):
    page = await new_page(browser, failures)
    await page.goto(str(client.make_url(path)))
    await page.fill("#login input[name=username]", username)
    await page.fill("#login input[name=password]", PASSWORD)
    await page.click("#login button[type=submit]")
    await page.wait_for_selector("#app:not([hidden])")
    return page
