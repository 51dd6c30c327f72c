"""The scan console (扫码核验), a page of the institution portal, in a real Chromium driven as a
scan gun drives it: the QR text typed into the focused input, then Enter."""

from __future__ import annotations

import pytest

try:
    from playwright.async_api import expect
except ImportError:  # reported by the browser fixture
    expect = None  # type: ignore[assignment]

from tests.support.browser import contrast, new_page
from tests.support.factories import auth, bureau, published_batch, regions
from tests.support.institutions import claimed_voucher, setup_institution
from tests.support.portal import portal_login


@pytest.fixture
async def env(client, svc):
    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token)
    env = await setup_institution(client, token)
    session, code = await claimed_voucher(client, svc, batch["id"])
    env.update(session=session, code=code, base=str(client.make_url("")).rstrip("/"))
    return env


async def fresh_payload(client, env) -> str:
    r = await client.get(f"/api/v1/vouchers/{env['code']}/qr", headers=auth(env["session"]))
    return (await r.json())["payload"]


async def scan_gun(page, text: str) -> None:
    await page.keyboard.type(text, delay=1)
    await page.keyboard.press("Enter")


async def test_verify_enrol_refuse_and_annul_as_at_the_front_desk(client, env, browser):
    failures: list[str] = []
    page = await new_page(browser, failures)
    await portal_login(page, env["base"], f"s{env['institution']['code']}", path="/institution/scan")
    await expect(page.locator("#payload")).to_be_focused()
    # 验券 needs no class: the select says so and is not in the way.
    await expect(page.locator("#class option").first).to_have_text("（验券无需选择培训班）")
    await expect(page.locator("#recent td.empty")).to_contain_text("还没有扫码记录")

    payload = await fresh_payload(client, env)
    await scan_gun(page, payload)
    await page.wait_for_selector("#result.ok")
    await expect(page.locator("#result-title")).to_have_text("验券成功")
    await expect(page.locator("#result-detail")).to_contain_text(env["code"])
    await expect(page.locator("#payload")).to_be_focused()
    assert await page.input_value("#payload") == ""
    # A verify changed nothing: nothing to annul.
    await expect(page.locator("#recent tr").first).to_contain_text("验券")
    await expect(page.locator("#recent tr").first.locator("button")).to_have_count(0)

    # 用券 asks for the class, in the select and when it is forgotten.
    await page.check("input[value=enrol]")
    await expect(page.locator("#class option").first).to_have_text("请选择报名的培训班")
    await expect(page.locator("#payload")).to_be_focused()
    await scan_gun(page, payload)
    await expect(page.locator("#result-title")).to_have_text("请先选择报名的培训班")
    await page.select_option("#class", str(env["class"]["id"]))
    await expect(page.locator("#payload")).to_be_focused()
    await scan_gun(page, payload)
    await expect(page.locator("#result-title")).to_have_text("用券成功")
    await expect(page.locator("#result-detail")).to_contain_text(env["class"]["name"])
    enrolled = page.locator("#recent tr").first
    await expect(enrolled).to_contain_text(env["class"]["name"])
    await expect(enrolled.locator("button", has_text="撤销")).to_have_count(1)

    # A forged code: a red box whose reason a reader can read.
    await scan_gun(page, payload.replace(env["code"], "AAAAAAAAAAAAAAAA"))
    await page.wait_for_selector("#result.error")
    await expect(page.locator("#result-title")).to_contain_text("用券失败：二维码无效")
    for part in ("#result-title", "#result-detail"):
        assert await contrast(page.locator(part)) >= 4.5
    await expect(page.locator("#recent tr").first).to_contain_text("二维码无效")

    # 撤销 of the enrolment, after a confirmation: the voucher is usable again.
    await page.locator("#recent tr", has_text="用券").locator("button", has_text="撤销").click()
    await expect(page.locator("#confirm")).to_be_visible()
    await page.click("#confirm-ok")
    await expect(page.locator("#result-title")).to_have_text("已撤销用券")
    await expect(page.locator("#recent tr", has_text="已撤销")).to_have_count(1)
    r = await client.get("/api/v1/vouchers", headers=auth(env["session"]))
    [voucher] = [v for v in (await r.json())["items"] if v["code"] == env["code"]]
    assert voucher["status"] == "claimed"
    assert failures == []


async def test_a_scan_gun_with_caps_lock_on_still_verifies(client, env, browser):
    failures: list[str] = []
    page = await new_page(browser, failures)
    await page.set_viewport_size({"width": 375, "height": 740})
    await portal_login(page, env["base"], f"s{env['institution']['code']}", path="/institution/scan")
    payload = await fresh_payload(client, env)
    await scan_gun(page, payload.lower())
    await page.wait_for_selector("#result.ok")
    await expect(page.locator("#result-title")).to_have_text("验券成功")
    await expect(page.locator("#result-detail")).to_contain_text("大写锁定")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375
    assert failures == []


async def test_the_api_reads_a_caps_lock_code_and_refuses_to_annul_a_verify(client, env):
    from tests.support.institutions import post_scan, scan_body

    payload = await fresh_payload(client, env)
    answer = await post_scan(client, env["scanner"], scan_body(payload.lower(), "verify"))
    assert answer["result"] == "ok" and answer["voucher"]["code"] == env["code"]
    # Lower case only where the whole code is: a mixed spelling is not ours.
    mixed = payload[:10] + payload[10:].lower()
    assert (await post_scan(client, env["scanner"], scan_body(mixed, "verify")))["reason"] == "qr_invalid"
    r = await client.post(f"/api/v1/scans/{answer['scan_id']}/annul", headers=auth(env["scanner"]))
    assert r.status in (403, 409), await r.text()
    r = await client.get("/api/v1/scans", headers=auth(env["scanner"]))
    assert [a["annullable"] for a in (await r.json())["items"]] == [False, False]
