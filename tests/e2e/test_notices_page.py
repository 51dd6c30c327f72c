"""通知 in a real Chromium: the notices an institution received, in full, with how each reached
its people; the webhook set, tested with a signed push, and its latest deliveries."""

from __future__ import annotations

import aiohttp

try:
    from playwright.async_api import expect
except ImportError:  # reported by the browser fixture
    expect = None  # type: ignore[assignment]

from peixunquan.worker_setup import build_jobs
from tests.support.browser import new_page, wider_than_screen
from tests.support.factories import bureau, published_batch, regions
from tests.support.institutions import claimed_voucher, post_scan, scan_body, setup_institution, voucher_payload
from tests.support.portal import portal_login
from tests.support.webhooks import WEBHOOK_SECRET


async def deliver(config, svc) -> None:
    """The worker's delivery job, wired as in production, run until the notices settle."""
    async with aiohttp.ClientSession() as http:
        [job] = [j for j in build_jobs(config, svc, http) if j.name == "deliver"]
        for _ in range(3):
            await job.run(svc)


async def test_a_notice_reached_nobody_then_the_webhook_gets_the_next(client, svc, config, browser, webhook_receiver):
    url, received = webhook_receiver
    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token)
    env = await setup_institution(client, token)
    base = str(client.make_url("")).rstrip("/")

    async def enrol() -> str:
        session, code = await claimed_voucher(client, svc, batch["id"])
        payload = await voucher_payload(client, session, code)
        assert (await post_scan(client, env["scanner"], scan_body(payload, "enrol", env["class"]["id"])))[
            "result"
        ] == "ok"
        return code

    first = await enrol()
    await deliver(config, svc)

    failures: list[str] = []
    page = await new_page(browser, failures)
    await portal_login(page, base, f"c{env['institution']['code']}", path="/institution/notices")
    notice = page.locator("#notice-list li", has_text=first)
    await expect(notice).to_contain_text("学员报名成功")
    await expect(notice).to_contain_text(f"券号 {first}")
    await expect(notice).to_contain_text("未推送：本机构没有设置推送地址")
    await expect(page.locator("#webhook-state")).to_have_text("尚未设置推送地址。")
    await expect(page.locator("#kept")).to_have_text("这里保留最近90天的通知，更早的已自动清理。")

    # The commissioner sets the webhook and sends a test: the receiver checks the signature.
    await page.fill("#webhook-form input[name=url]", url)
    await page.fill("#webhook-form input[name=secret]", WEBHOOK_SECRET)
    await page.click("#webhook-form button[type=submit]")
    await expect(page.locator("#webhook-state")).to_have_text(f"当前推送地址：{url}")
    await page.click("#webhook-test")
    await expect(page.locator("#test-result")).to_have_text("推送成功：对方已确认收到（HTTP 2xx）")
    assert [r["event"] for r in received] == ["test"]

    # The next enrolment reaches the webhook; the page says so, and lists the push.
    second = await enrol()
    await deliver(config, svc)
    await page.set_viewport_size({"width": 375, "height": 740})
    await page.reload()
    await expect(page.locator("#notice-list li", has_text=second)).to_contain_text("推送地址：已送达")
    await expect(page.locator("#delivery-rows tr").first).to_contain_text("学员报名")
    await expect(page.locator("#delivery-rows tr").first).to_contain_text("已送达")
    assert [r["event"] for r in received] == ["test", "institution_enrolment"]
    assert received[1]["voucher_code"] == second
    assert await wider_than_screen(page) == []
    assert failures == []
