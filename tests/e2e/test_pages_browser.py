"""The scan console and the H5 wallet in a real headless Chromium (Debian's `chromium`,
driven by Playwright; no browser download). In CI these must run; elsewhere they skip with the
reason when chromium or Playwright is missing."""

from __future__ import annotations

import asyncio
import io
import re

import pytest
from PIL import Image

try:
    from playwright.async_api import expect
except ImportError:  # reported by the browser fixture
    expect = None  # type: ignore[assignment]

from tests.support.browser import new_page
from tests.support.factories import bureau, published_batch, regions
from tests.support.institutions import claimed_voucher, post_scan, scan_body, setup_institution
from tests.support.qr import require_zbar


@pytest.fixture
async def env(client, svc):
    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token)
    env = await setup_institution(client, token)
    session, code = await claimed_voucher(client, svc, batch["id"])
    env.update(session=session, code=code, base=str(client.make_url("")).rstrip("/"))
    return env


async def test_wallet_shows_a_qr_that_decodes_and_refreshes_itself(client, svc, env, browser):
    require_zbar()
    from pyzbar.pyzbar import decode

    svc.qr.step_s = 4  # so the page's refresh is seen within the test
    failures: list[str] = []
    page = await new_page(browser, failures)
    await page.set_viewport_size({"width": 400, "height": 800})
    await page.goto(f"{env['base']}/h5/wallet#token={env['session']}")
    assert "token" not in page.url  # the token leaves the address bar at once
    await page.click(f"a[data-code='{env['code']}']")
    await expect(page.locator("#qr")).to_have_attribute("data-refreshed-at", re.compile(r"^\d+$"))

    async def shown_payload() -> str:
        png = await page.locator("#qr").screenshot()
        image = Image.open(io.BytesIO(png)).convert("L")
        [found] = decode(image)
        return found.data.decode("ascii")

    first = await shown_payload()
    answer = await post_scan(client, env["scanner"], scan_body(first, "verify"))
    assert answer["result"] == "ok" and answer["voucher"]["code"] == env["code"]
    # With 4-second steps the page must show a code of a later step within a few seconds,
    # without being reloaded.
    second = first
    for _ in range(40):
        await asyncio.sleep(0.25)
        second = await shown_payload()
        if second != first:
            break
    assert second != first
    assert int(second.split(".")[3]) > int(first.split(".")[3])
    assert (await post_scan(client, env["scanner"], scan_body(second, "verify")))["result"] == "ok"
    assert failures == []
