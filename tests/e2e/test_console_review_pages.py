"""Two-level settlement review and payment lists in the console, in a real headless Chromium:
the first reviewer approves, the same person cannot also be the second reviewer, another
reviewer settles, the approved claims are gathered into a payment list, and marking it paid
writes the vouchers off."""

from __future__ import annotations

import re

from models import SettlementClaim, Voucher, VoucherHistory
from tests.support.console import console_login
from tests.support.factories import PASSWORD, auth, bureau
from tests.support.settlement import passed, settlement_env, submit

try:
    from playwright.async_api import expect
except ImportError:  # the browser fixture skips with the reason
    expect = None  # type: ignore[assignment]


async def _login(browser, client, failures: list[str], username: str, path: str):
    return await console_login(browser, client, failures, username, path)


async def test_two_reviewers_settle_and_a_payment_list_writes_the_vouchers_off(client, svc, browser):
    env = await settlement_env(client, svc, trainees=2)
    t, u = env["trainees"]
    await bureau(svc, "zhang-first", role="first_reviewer")
    await bureau(svc, "zhao-second", role="second_reviewer")
    failures: list[str] = []

    # The administrator asks for two reviews in Wuxi, on the standards page.
    admin = await _login(browser, client, failures, "wuxi", "/console/standards")
    row = admin.locator("#level-rows tr[data-region='320200']")
    await row.locator("select").select_option("2")
    await row.get_by_role("button", name="保存").click()
    await expect(admin.locator("#notice")).to_have_text("已保存：无锡市 结算须两级审核")
    await submit(client, env, [passed(t["code"]), passed(u["code"])])

    # A second reviewer's queue opens on what waits for the second review: nothing yet. A pending
    # claim is there to read, without buttons; the first reviewer has them.
    second = await _login(browser, client, failures, "zhao-second", "/console/settlement")
    await expect(second.locator("#claim-status")).to_have_value("first_approved")
    await expect(second.locator("#claim-rows td.empty")).to_contain_text("没有待审核的补贴申请")
    await second.select_option("#claim-status", "pending")
    claim_row = second.locator("#claim-rows tr", has_text=t["code"])
    await expect(claim_row).to_be_visible()
    await expect(claim_row.get_by_role("button")).to_have_count(0)
    first = await _login(browser, client, failures, "zhang-first", "/console/settlement")
    await first.set_viewport_size({"width": 1280, "height": 800})
    claim_row = first.locator("#claim-rows tr", has_text=t["code"])
    # On a desk's screen the buttons are in view, not past the table's right edge.
    for name in ("初审通过", "驳回"):
        box = await claim_row.get_by_role("button", name=name).bounding_box()
        assert box is not None and box["x"] + box["width"] <= 1280, (name, box)
    await claim_row.get_by_role("button", name="初审通过").click()
    await first.click("#confirm-ok")
    await expect(first.locator("#notice")).to_have_text("已审核通过")
    await first.select_option("#claim-status", "first_approved")
    await expect(first.locator("#claim-rows tr", has_text=t["code"]).locator(".status")).to_contain_text(
        "初审通过，待复审（初审：zhang-first）"
    )
    await expect(first.locator("#claim-rows tr", has_text=t["code"]).get_by_role("button")).to_have_count(0)

    # The administrator may review at both levels, but not the same claim twice.
    await admin.goto(str(client.make_url("/console/settlement")))
    await admin.wait_for_selector("#app:not([hidden])")
    await admin.locator("#claim-rows tr", has_text=u["code"]).get_by_role("button", name="初审通过").click()
    await admin.click("#confirm-ok")
    await expect(admin.locator("#notice")).to_have_text("已审核通过")
    await admin.select_option("#claim-status", "first_approved")
    await admin.locator("#claim-rows tr", has_text=u["code"]).get_by_role("button", name="复审通过").click()
    await admin.click("#confirm-ok")
    await expect(admin.locator("#notice")).to_have_text("复审人不能与初审人为同一人")
    assert (await SettlementClaim.get(voucher__code=u["code"])).status == "first_approved"

    await second.reload()
    await second.wait_for_selector("#app:not([hidden])")
    await second.select_option("#claim-status", "first_approved")
    for code in (t["code"], u["code"]):
        await second.locator("#claim-rows tr", has_text=code).get_by_role("button", name="复审通过").click()
        await second.click("#confirm-ok")
        await expect(second.locator("#notice")).to_have_text("已审核通过")
        await expect(second.locator("#claim-rows tr", has_text=code)).to_have_count(0)
    await second.select_option("#claim-status", "approved")
    await expect(second.locator("#claim-totals")).to_have_text("共 2 条，补贴合计 1000.00 元")
    assert (await Voucher.get(code=t["code"])).status == "settled"

    # The second reviewer gathers the payment list and records the payment.
    await second.goto(str(client.make_url("/console/payments")))
    await second.wait_for_selector("#app:not([hidden])")
    await expect(second.locator("#list-rows td.empty")).to_contain_text("没有待拨付的清单")
    await second.locator("#gather-form").get_by_role("button", name="生成拨付清单").click()
    await expect(second.locator("#notice")).to_contain_text("已生成 1 份拨付清单")
    list_row = second.locator("#list-rows tr").first
    await expect(list_row).to_contain_text("1000.00")
    await expect(list_row.locator(".status")).to_have_text("草稿")
    await list_row.get_by_role("button", name="查看").click()
    await expect(second.locator("#line-rows tr", has_text=t["code"])).to_have_count(1)
    await expect(second.locator("#line-rows tr", has_text=u["code"])).to_have_count(1)
    async with second.expect_download() as downloading:
        await list_row.get_by_role("button", name="导出 Excel").click()
    assert (await downloading.value).suggested_filename.endswith(".xlsx")
    await list_row.locator("input").fill("ZZ20261204001")
    await list_row.get_by_role("button", name="登记拨付").click()
    await expect(second.locator("#confirm-text")).to_contain_text("即核销")
    await second.click("#confirm-ok")
    await expect(second.locator("#notice")).to_contain_text("已登记拨付，培训券已核销")
    for code in (t["code"], u["code"]):
        assert await VoucherHistory.filter(voucher__code=code, action="written_off").count() == 1
    await second.select_option("#list-filters select[name=status]", "paid")
    await expect(second.locator("#list-rows tr").first).to_contain_text("ZZ20261204001")
    await expect(second.locator("#list-rows tr").first.locator(".status")).to_have_text("已拨付")

    # The voucher's history says who did what, and where, in words.
    await admin.goto(str(client.make_url(f"/console/vouchers?code={t['code']}")))
    history = admin.locator("#history-rows")
    await expect(history.locator("tr")).to_have_count(6)
    first_review = history.locator("tr", has_text="结算初审通过")
    await expect(first_review.locator(".actor")).to_have_text("人社部门 · zhang-first")
    settled = history.locator("tr", has_text="已结业 → 已结算")
    await expect(settled.locator(".actor")).to_have_text("人社部门 · zhao-second")
    await expect(settled.locator(".detail")).to_contain_text("补贴：500.00 元")
    enrolled = history.locator("tr", has_text="用券报名")
    await expect(enrolled.locator(".actor")).to_contain_text(f"{env['institution']['name']} · ")
    await expect(enrolled.locator(".detail")).to_contain_text(f"机构：{env['institution']['name']}")
    await expect(history.locator("tr", has_text="结算核销").locator(".detail")).to_contain_text("ZZ20261204001")
    # What happened and the statuses, in Chinese (user names and payment references are what they are).
    for column in (2, 4):
        words = " ".join(await history.locator(f"tr td:nth-child({column})").all_inner_texts())
        assert re.search(r"[A-Za-z_]{3,}", words) is None, words

    # The statistics clerk reads the lists, without the buttons.
    await bureau(svc, "chen-stats", role="viewer")
    viewer = await _login(browser, client, failures, "chen-stats", "/console/payments")
    await viewer.select_option("#list-filters select[name=status]", "paid")
    await expect(viewer.locator("#list-rows tr").first).to_contain_text("ZZ20261204001")
    await expect(viewer.locator("#gather-form")).to_be_hidden()
    await expect(viewer.locator("#list-rows tr").first.get_by_role("button", name="导出 Excel")).to_have_count(0)
    r = await client.post(
        "/api/v1/admin/payment-lists", json={"region": "320200"}, headers=auth(await _token(client, "chen-stats"))
    )
    assert r.status == 403
    assert failures == []


async def _token(client, username: str) -> str:
    r = await client.post("/api/v1/admin/login", json={"username": username, "password": PASSWORD})
    return (await r.json())["token"]
