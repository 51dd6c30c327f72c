"""The institution portal in the browser: log in as a member, as they would."""

from __future__ import annotations

from tests.support.institutions import STAFF_PASSWORD


async def portal_login(page, base: str, username: str, path: str = "/institution", password: str = STAFF_PASSWORD):
    """Open `path` on the portal, log in through its form, wait for the page to be shown."""
    await page.goto(base + path)
    await page.fill("#login input[name=username]", username)
    await page.fill("#login input[name=password]", password)
    await page.click("#login button[type=submit]")
    await page.wait_for_selector("#app:not([hidden])")
    return page
