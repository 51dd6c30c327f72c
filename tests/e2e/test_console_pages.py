"""The bureau console in a real headless Chromium (Debian's `chromium`, driven by Playwright):
batches, a roster upload with progress and its row-by-row report, the settlement queue, and
the statistics dashboard's charts (inline SVG, no CDN)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from models import Batch, EligibilityEntry, SettlementClaim, Voucher
from tests.support.browser import new_page
from tests.support.console import console_login
from tests.support.factories import auth, bad_check_digit, batch_body, bureau, id_number, published_batch, regions
from tests.support.reporting import wuxi_2021
from tests.support.settlement import lesson_started, passed, settlement_env, submit

try:
    from playwright.async_api import expect
except ImportError:  # the browser fixture skips with the reason
    expect = None  # type: ignore[assignment]


async def _login(browser, client, failures: list[str], username: str = "wuxi", path: str = "/console/batches"):
    return await console_login(browser, client, failures, username, path)


async def _open(page, client, name: str) -> None:
    """Another console page in the same tab: the login holds."""
    await page.goto(str(client.make_url(f"/console/{name}")))
    await page.wait_for_selector("#app:not([hidden])")


async def test_batches_are_created_and_published(client, svc, browser):
    await regions()
    await bureau(svc)
    failures: list[str] = []
    page = await _login(browser, client, failures)
    form = page.locator("#batch-form")
    await form.locator("input[name=title]").fill("2026年无锡市电工培训券")
    await form.locator("select[name=region]").select_option("320200")
    await form.locator("input[name=face_value_yuan]").fill("800")
    await form.locator("input[name=occupation]").fill("电工")
    await form.locator("button[type=submit]").click()
    await expect(page.locator("#notice")).to_contain_text("已保存草稿")
    # The form resets: a second click cannot save the same batch twice.
    await expect(form.locator("input[name=title]")).to_have_value("")
    row = page.locator("#batch-rows tr", has_text="2026年无锡市电工培训券")
    await expect(row.locator(".status")).to_have_text("草稿")
    # 发布 and 关闭 ask first; 取消 changes nothing.
    await row.get_by_role("button", name="发布").click()
    await expect(page.locator("#confirm-text")).to_contain_text("发布批次“2026年无锡市电工培训券”")
    await page.click("#confirm button[value=cancel]")
    await expect(row.locator(".status")).to_have_text("草稿")
    await row.get_by_role("button", name="发布").click()
    await page.click("#confirm-ok")
    await expect(row.locator(".status")).to_have_text("已发布")
    await row.get_by_role("button", name="关闭").click()
    await page.click("#confirm-ok")
    await expect(row.locator(".status")).to_have_text("已关闭")
    assert failures == []


async def test_a_draft_is_corrected_in_the_form_before_it_is_published(client, svc, browser):
    await regions()
    token = await bureau(svc)
    body = batch_body(
        title="2026年无锡市电工培训券（草稿）",
        fund_source="就业补助资金",
        claim_start="2026-03-01T09:00:00+08:00",
        eligible_groups=["失业人员", "脱贫人口"],
    )
    draft = await (await client.post("/api/v1/admin/batches", json=body, headers=auth(token))).json()
    await published_batch(client, token, title="2026年无锡市已发布券")
    failures: list[str] = []
    page = await _login(browser, client, failures)
    published = page.locator("#batch-rows tr", has_text="2026年无锡市已发布券")
    await expect(published.get_by_role("button", name="关闭")).to_be_visible()
    await expect(published.get_by_role("button", name="修改")).to_have_count(0)  # its rules are fixed
    row = page.locator(f"#batch-rows tr[data-batch='{draft['id']}']")
    await expect(row).to_contain_text("2026年无锡市电工培训券（草稿）")
    await row.get_by_role("button", name="修改").click()
    form = page.locator("#batch-form")
    await expect(page.locator("#form-title")).to_contain_text("修改草稿")
    await expect(form.locator("input[name=title]")).to_have_value("2026年无锡市电工培训券（草稿）")
    await expect(form.locator("input[name=fund_source]")).to_have_value("就业补助资金")
    await expect(form.locator("input[name=claim_start]")).to_have_value("2026-03-01T09:00")  # Wuxi's clock
    await expect(form.get_by_label("脱贫人口")).to_be_checked()
    await expect(form.locator("input[name=face_value_yuan]")).to_have_value("500.00")
    await form.locator("input[name=title]").fill("2026年无锡市电工培训券")
    await form.locator("input[name=quantity]").fill("300")
    await form.get_by_label("退役军人").check()
    await form.get_by_role("button", name="保存修改").click()
    await expect(page.locator("#notice")).to_contain_text("已保存修改：批次")
    # The form is a new batch's again: a second click cannot change the draft twice.
    await expect(page.locator("#form-title")).to_have_text("新建批次（先保存为草稿，发布前可修改）")
    await expect(form.locator("input[name=title]")).to_have_value("")
    batch = await Batch.get(id=draft["id"])
    assert (batch.title, batch.quantity, batch.status) == ("2026年无锡市电工培训券", 300, "draft")
    assert batch.eligible_groups == ["失业人员", "脱贫人口", "退役军人"]
    assert batch.claim_start.isoformat() == "2026-03-01T01:00:00+00:00"
    assert await Batch.all().count() == 2
    # 取消修改 leaves the draft as it is.
    await row.get_by_role("button", name="修改").click()
    await form.locator("input[name=quantity]").fill("1")
    await form.get_by_role("button", name="取消修改").click()
    await expect(form.locator("input[name=quantity]")).to_have_value("100")
    assert (await Batch.get(id=draft["id"])).quantity == 300
    assert failures == []


async def test_a_batch_is_created_with_groups_proven_by_the_bureau_list(client, svc, browser):
    await regions()
    await bureau(svc)
    failures: list[str] = []
    page = await _login(browser, client, failures)
    form = page.locator("#batch-form")
    await form.locator("input[name=title]").fill("2026年无锡市失业人员培训券")
    await form.locator("select[name=region]").select_option("320200")
    await form.locator("input[name=face_value_yuan]").fill("500")
    await expect(form.locator("select[name=group_proof]")).to_have_value("declared")
    await form.locator("select[name=group_proof]").select_option(label="须经人社部门资格名单认定（学员不能自行选择）")
    await form.locator("button[type=submit]").click()
    await expect(page.locator("#notice")).to_contain_text("已保存草稿")
    row = page.locator("#batch-rows tr", has_text="2026年无锡市失业人员培训券")
    await expect(row).to_contain_text("名单认定")
    batch = await Batch.get(title="2026年无锡市失业人员培训券")
    assert batch.requires_eligibility_list is True
    await row.get_by_role("button", name="发布").click()
    await page.click("#confirm-ok")
    await expect(row.locator(".status")).to_have_text("已发布")

    # The list itself goes in where rosters do.
    await _open(page, client, "roster")
    await page.select_option("#roster-batch", str(batch.id))
    csv = f"身份证号,人员类别\n{id_number()}\n{id_number()},失业人员\n".encode()
    await page.set_input_files("#roster-file", files=[{"name": "资格名单.csv", "mimeType": "text/csv", "buffer": csv}])
    await page.click("#roster-form button[type=submit]")
    await expect(page.locator("#roster-summary")).to_have_text("共 2 行：新列入 2，已存在 0，未通过 0")
    assert await EligibilityEntry.filter(batch_id=batch.id).count() == 2
    assert failures == []


async def test_roster_upload_shows_progress_and_its_row_by_row_report(client, svc, browser):
    await regions()
    token = await bureau(svc)
    batch = await published_batch(
        client,
        token,
        title="定向券",
        distribution="targeted",
        value_mode="deduction",
        face_value_fen=None,
        quantity=10_000,
    )
    numbers = [id_number("320281", date(1990, 1, 1) + timedelta(days=n // 1000), n) for n in range(6000)]
    numbers[6] = bad_check_digit(numbers[6])  # data row 7
    lines = ["姓名,身份证号,手机号"] + [f"李四,{n},13800000000" for n in numbers]
    lines[5003] = f'"王 五",{numbers[5002]},123'  # data row 5003, in the second chunk (quoted): bad phone
    failures: list[str] = []
    page = await _login(browser, client, failures)
    await _open(page, client, "roster")
    await page.select_option("#roster-batch", str(batch["id"]))
    await page.set_input_files(
        "#roster-file",
        files=[{"name": "名单.csv", "mimeType": "text/csv", "buffer": ("\n".join(lines) + "\n").encode("gbk")}],
    )
    await page.click("#roster-form button[type=submit]")
    await expect(page.locator("#roster-summary")).to_have_text(
        "共 6000 行：新发放 5998，已存在 0，未通过 2", timeout=60_000
    )
    await expect(page.locator("#roster-count")).to_have_text("已处理 6000 / 6000 行")
    assert await page.eval_on_selector("#roster-bar", "b => b.value === b.max && b.max === 6000")
    problems = await page.locator("#roster-problems tr").all_inner_texts()
    assert [p.split("\t")[:2] for p in problems] == [["7", "invalid_id_number"], ["5003", "invalid_phone"]]
    assert await Voucher.filter(batch_id=batch["id"]).count() == 5998
    assert failures == []


async def _targeted_roster_tab(client, svc, browser, failures: list[str]):
    await regions()
    token = await bureau(svc)
    batch = await published_batch(
        client, token, title="定向券", distribution="targeted", value_mode="deduction", face_value_fen=None
    )
    page = await _login(browser, client, failures)
    await _open(page, client, "roster")
    await page.select_option("#roster-batch", str(batch["id"]))
    return page, batch


async def test_roster_upload_of_garbage_says_it_is_not_a_roster(client, svc, browser):
    failures: list[str] = []
    page, batch = await _targeted_roster_tab(client, svc, browser, failures)
    garbage = random.Random(17).randbytes(10 * 1024 * 1024)
    await page.set_input_files("#roster-file", files=[{"name": "名单.csv", "mimeType": "text/csv", "buffer": garbage}])
    await page.click("#roster-form button[type=submit]")
    await expect(page.locator("#notice")).to_contain_text("文件不是人员名单", timeout=60_000)
    await expect(page.locator("#notice")).to_contain_text("身份证号")
    await expect(page.locator("#roster-report")).to_be_hidden()
    await expect(page.locator("#roster-progress")).to_be_hidden()
    assert await Voucher.filter(batch_id=batch["id"]).count() == 0
    assert failures == []


async def test_roster_upload_with_many_bad_rows_lists_the_first_hundred_and_counts_the_rest(client, svc, browser):
    failures: list[str] = []
    page, batch = await _targeted_roster_tab(client, svc, browser, failures)
    lines = ["姓名,身份证号"] + [f"某某,{n:018d}" for n in range(12_000)]  # three chunks of bad rows
    lines[7000] = f"李四,{id_number()}"  # data row 7000, in the second chunk, is good
    await page.set_input_files(
        "#roster-file",
        files=[{"name": "名单.csv", "mimeType": "text/csv", "buffer": ("\n".join(lines) + "\n").encode()}],
    )
    await page.click("#roster-form button[type=submit]")
    await expect(page.locator("#roster-summary")).to_have_text(
        "共 12000 行：新发放 1，已存在 0，未通过 11999", timeout=60_000
    )
    problems = await page.locator("#roster-problems tr").all_inner_texts()
    assert [int(p.split("\t")[0]) for p in problems] == list(range(1, 101))
    await expect(page.locator("#roster-more")).to_contain_text("另有 11899 行未通过，未逐行列出")
    assert await Voucher.filter(batch_id=batch["id"]).count() == 1
    assert failures == []


async def test_settlement_queue_approves_and_rejects(client, svc, browser):
    env = await settlement_env(client, svc, trainees=2)
    a, b = env["trainees"]
    # A second lesson: b's phone died, the front desk checked b in by hand (补签).
    late = await lesson_started(client, env, minutes_ago=90)
    r = await client.post(
        f"/api/v1/institution/classes/{env['class']['id']}/attendance/manual",
        json={"lesson_id": late["id"], "voucher_code": b["code"], "reason": "手机没电"},
        headers={"Authorization": f"Bearer {env['scanner']}"},
    )
    assert r.status == 201, await r.text()
    await submit(client, env, [passed(a["code"]), passed(b["code"])])
    failures: list[str] = []
    page = await _login(browser, client, failures)
    await _open(page, client, "settlement")
    row_a = page.locator("#claim-rows tr", has_text=a["code"])
    row_b = page.locator("#claim-rows tr", has_text=b["code"])
    await expect(row_a).to_contain_text("500.00")
    # The reviewer sees the attendance, and which of it was by hand.
    await expect(row_a.locator(".attendance")).to_have_text("1/2")
    await expect(row_b.locator(".attendance")).to_have_text("2/2（补签 1）")
    await row_a.get_by_role("button", name="通过").click()
    await page.click("#confirm-ok")
    await expect(page.locator("#notice")).to_contain_text("已审核通过")
    await expect(row_a).to_have_count(0)  # left the pending queue
    await row_b.locator("input.reason").fill("考勤记录不足")
    await row_b.get_by_role("button", name="驳回").click()
    await expect(page.locator("#notice")).to_have_text("已驳回")
    assert (await Voucher.get(code=a["code"])).status == "settled"
    claim_b = await SettlementClaim.get(voucher__code=b["code"])
    assert (claim_b.status, claim_b.reason) == ("rejected", "考勤记录不足")
    await page.select_option("#claim-status", "rejected")
    await expect(page.locator("#claim-rows tr", has_text=b["code"]).locator(".status")).to_have_text(
        "已驳回：考勤记录不足"
    )
    # Nothing pending: the queue says so instead of bare headers.
    await page.select_option("#claim-status", "pending")
    await expect(page.locator("#claim-rows td.empty")).to_contain_text("没有待审核的补贴申请")
    assert failures == []


async def test_dashboard_renders_its_charts_and_exports(client, svc, browser):
    await wuxi_2021(svc)
    failures: list[str] = []
    page = await _login(browser, client, failures)
    await _open(page, client, "statistics")
    await page.fill("#stats-year", "2021")
    await page.click("#stats-form button[type=submit]")
    chart = page.locator("#chart-flows svg.bar-chart")
    issued = chart.locator("rect.bar[data-series='发放'][data-category='无锡市']")
    await expect(issued).to_have_attribute("data-value", "6")  # the tab first showed this year's
    await expect(chart.locator("rect.bar")).to_have_count(9)  # 3 regions x (issued, enrolled, settled)
    box = await issued.bounding_box()
    assert box is not None and box["height"] > 50  # drawn, and the tallest bar
    await expect(chart.locator("text.tick")).to_have_text(["0", "2", "4", "6", "8"])  # counts: whole steps
    rates = page.locator("#chart-targets svg.rate-chart")
    await expect(rates).to_contain_text("0.0%")
    await expect(rates.locator("rect.rate")).to_have_count(6)
    await expect(page.locator("#stats-rows tr").first).to_contain_text("90000")

    async with page.expect_download() as downloading:
        await page.click("#export")
    download = await downloading.value
    text = (await download.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("券码,批次") and len(text.strip().splitlines()) == 7
    assert failures == []


async def test_h5_archive_shows_certificates_classes_and_vouchers(client, svc, browser):
    from tests.support.settlement import decide

    env = await settlement_env(client, svc, trainees=1)
    [t] = env["trainees"]
    report = await submit(client, env, [passed(t["code"], number="CERT-H5-01")])
    assert (await decide(client, env, report["rows"][0]["claim_id"], decision="approve")).status == 200
    failures: list[str] = []
    page = await new_page(browser, failures)
    await page.goto(str(client.make_url("/h5/archive")) + f"#token={t['session']}")
    assert "token" not in page.url
    await expect(page.locator("#certificates li")).to_contain_text("CERT-H5-01")
    await expect(page.locator("#certificates li")).to_contain_text("职业技能等级证书 · 五级")
    await expect(page.locator("#classes li")).to_contain_text("出勤 1/1 次")
    await expect(page.locator("#vouchers li")).to_contain_text("已结算")
    assert failures == []
