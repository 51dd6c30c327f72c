"""The scan console without a network, in a real Chromium: the network is cut, scans are checked
on the device and queued (shown waiting), enrolment is refused, the network returns, the queue
uploads, and the check-in of a voucher revoked meanwhile comes back refused."""

from __future__ import annotations

import asyncio

try:
    from playwright.async_api import expect
except ImportError:  # reported by the browser fixture
    expect = None  # type: ignore[assignment]

from models import ScanRecord
from tests.support.browser import new_page
from tests.support.factories import auth
from tests.support.institutions import claimed_voucher, voucher_payload
from tests.support.portal import portal_login
from tests.support.settlement import enrolled, settlement_env


async def scan_gun(page, text: str) -> None:
    await page.keyboard.type(text, delay=1)
    await page.keyboard.press("Enter")


async def test_scans_queue_offline_and_upload_when_the_network_returns(client, svc, browser):
    env = await settlement_env(client, svc, trainees=2)
    a, b = env["trainees"]
    session, fresh = await claimed_voucher(client, svc, env["batch"]["id"])
    await enrolled(client, env, session, fresh, checkin=False)
    base = str(client.make_url("")).rstrip("/")
    failures: list[str] = []
    page = await new_page(browser, failures)
    await portal_login(page, base, f"s{env['institution']['code']}", path="/institution/scan")
    # The console keeps the keys while online (polled here: the CSP forbids a page-side eval).
    for _ in range(100):
        if await page.evaluate("localStorage.getItem('pxq.offline.keys')"):
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the console never stored the QR keys")
    codes = {
        "a": await voucher_payload(client, a["session"], a["code"]),
        "b": await voucher_payload(client, b["session"], b["code"]),
        "fresh": await voucher_payload(client, session, fresh),
    }

    await page.context.set_offline(True)
    await expect(page.locator("#offline-banner")).to_contain_text("离线模式")
    # 验券 offline: checked on the device, queued.
    await page.locator("#payload").focus()
    await scan_gun(page, codes["a"])
    await expect(page.locator("#result-title")).to_have_text("验券已离线记录（待上传）")
    await expect(page.locator("#offline-banner")).to_contain_text("待上传 1 条")
    # A forged code is refused on the device already.
    await scan_gun(page, codes["a"].replace(a["code"], "AAAAAAAAAAAAAAAA"))
    await expect(page.locator("#result-title")).to_contain_text("验券失败：二维码无效")
    # 用券 needs the network.
    await page.check("input[value=enrol]")
    await page.select_option("#class", str(env["class"]["id"]))
    await scan_gun(page, codes["fresh"])
    await expect(page.locator("#result-title")).to_have_text("离线时不能用券报名")
    # 签到 offline, twice.
    await page.check("input[value=checkin]")
    await scan_gun(page, codes["fresh"])
    await expect(page.locator("#result-title")).to_have_text("签到已离线记录（待上传）")
    await scan_gun(page, codes["b"])
    await expect(page.locator("#offline-banner")).to_contain_text("待上传 3 条")

    # Meanwhile the bureau revokes b's voucher.
    r = await client.post(
        f"/api/v1/admin/vouchers/{b['code']}/revoke", json={"reason": "重复领取"}, headers=auth(env["bureau"])
    )
    assert r.status == 200, await r.text()

    await page.context.set_offline(False)
    await expect(page.locator("#offline-summary")).to_have_text("已上传 3 条离线扫码，其中 1 条未计入（见下表原因）。")
    refused = page.locator("#offline-rows tr", has_text=b["code"])
    await expect(refused).to_contain_text("未计入：培训券已作废")
    await expect(page.locator("#offline-rows tr", has_text=fresh)).to_contain_text("已计入：签到成功")
    await expect(page.locator("#offline-banner")).to_be_hidden()
    records = await ScanRecord.filter(offline=True).order_by("id")
    assert [r.action for r in records] == ["verify", "checkin", "checkin"]
    assert all(r.scanned_at < r.created_at for r in records)
    assert failures == []
