"""学员与考勤 in a real Chromium: a member opens a class's attendance, sees the live counts,
checks a trainee in by hand with a reason, and downloads the attendance sheet."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from openpyxl import load_workbook

try:
    from playwright.async_api import expect
except ImportError:  # reported by the browser fixture
    expect = None  # type: ignore[assignment]

from tests.support.browser import new_page, wider_than_screen
from tests.support.institutions import post_scan, scan_body, voucher_payload
from tests.support.portal import portal_login
from tests.support.settlement import lesson_started, settlement_env


async def test_a_member_checks_a_trainee_in_by_hand_and_exports_the_sheet(client, svc, browser):
    env = await settlement_env(client, svc, trainees=2)
    base = str(client.make_url("")).rstrip("/")
    late = await lesson_started(client, env, minutes_ago=20)  # open now: the page shows it
    first, second = env["trainees"]
    payload = await voucher_payload(client, first["session"], first["code"])
    await post_scan(client, env["scanner"], scan_body(payload, "checkin", env["class"]["id"], lesson_id=late["id"]))

    failures: list[str] = []
    page = await new_page(browser, failures)
    await page.set_viewport_size({"width": 375, "height": 740})
    await portal_login(
        page, base, f"s{env['institution']['code']}", path=f"/institution/attendance?class={env['class']['id']}"
    )
    await expect(page.locator("#counts")).to_have_text("本次课已签到 1 / 已报名 2（人数上限 30）")
    await expect(page.locator("#trainee-rows tr", has_text=first["code"])).to_contain_text("扫码")

    # 补签 for the second trainee: the reason is required.
    row = page.locator("#trainee-rows tr", has_text=second["code"])
    await expect(row).to_contain_text("未签到")
    await row.locator("button", has_text="补签").click()
    await page.click("#manual-form button[type=submit]")
    await expect(page.locator("#notice.error")).to_have_text("请填写补签原因")
    await page.fill("#manual-form input[name=reason]", "手机没电，已核对身份证")
    await page.click("#manual-form button[type=submit]")
    await expect(page.locator("#notice")).to_contain_text("已补签")
    await expect(row).to_contain_text("补签")
    await expect(row).to_contain_text("手机没电，已核对身份证，前台")
    await expect(page.locator("#counts")).to_have_text("本次课已签到 2 / 已报名 2（人数上限 30）")

    # A scan at the door shows up without a reload (live counts).
    await page.select_option("#lesson-select", str(env["lesson"]["id"]))
    await expect(page.locator("#counts")).to_contain_text("本次课已签到 2 / 已报名 2")

    # Search by a part of the name finds nobody else.
    await page.fill("#search", "不存在")
    await expect(page.locator("#trainee-rows td.empty")).to_contain_text("没有姓名包含“不存在”的学员")
    await page.fill("#search", "")

    # The sheet: 补签 and the ID number as a text cell.
    async with page.expect_download() as info:
        await page.click("#export")
    download = await info.value
    assert download.suggested_filename.startswith("考勤表-")
    content = await asyncio.to_thread(Path(await download.path()).read_bytes)
    book = load_workbook(io.BytesIO(content))
    cells = [c for row in book.active.iter_rows() for c in row]
    assert any(c.value == "补签" for c in cells)
    [id_cell] = [c for c in cells if c.value == second["id_number"]]
    assert id_cell.data_type == "s"
    assert await wider_than_screen(page) == []
    assert failures == []
