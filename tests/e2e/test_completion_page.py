"""结业与补贴 in a real Chromium: the commissioner of an ended class uploads results as CSV and as
XLSX, reads the refusals by the file's own row numbers, and follows each trainee's claim."""

from __future__ import annotations

import io

from openpyxl import Workbook

try:
    from playwright.async_api import expect
except ImportError:  # reported by the browser fixture
    expect = None  # type: ignore[assignment]

from models import SettlementClaim
from tests.support.browser import new_page, wider_than_screen
from tests.support.factories import id_number
from tests.support.portal import portal_login
from tests.support.settlement import class_over, decide, settlement_env


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_commissioner_uploads_results_and_follows_the_claims(client, svc, browser):
    env = await settlement_env(client, svc, trainees=2)
    a, b = env["trainees"]
    base = str(client.make_url("")).rstrip("/")
    failures: list[str] = []
    page = await new_page(browser, failures)
    path = f"/institution/completion?class={env['class']['id']}"
    await portal_login(page, base, f"c{env['institution']['code']}", path=path)
    # Before the class ends: said, and the upload waits.
    await expect(page.locator("#class-state")).to_contain_text("结束后才能上传结业考核结果")
    await expect(page.locator("#upload-form button[type=submit]")).to_be_disabled()

    await class_over(env["class"]["id"])
    await page.reload()
    await expect(page.locator("#class-state")).to_contain_text("可以上传结业考核结果")
    csv_text = (
        "身份证号码,考核结果,证书类别,证书编号,证书等级\n"
        f"{a['id_number']},合格,职业技能等级证书,CERT-A,五级\n"
        "\n"
        f"{id_number()},合格,职业技能等级证书,CERT-X,五级\n"
        f"{a['id_number']},合格,职业技能等级证书,CERT-A,五级\n"
    )
    await page.set_input_files(
        "#upload-form input[name=file]",
        files=[{"name": "结果.csv", "mimeType": "text/csv", "buffer": csv_text.encode()}],
    )
    await page.click("#upload-form button[type=submit]")
    await expect(page.locator("#report-summary")).to_contain_text("共 3 名学员：1 名已提交审核，2 名未通过检查")
    problems = page.locator("#problem-rows tr")
    await expect(problems.nth(0)).to_contain_text("第 4 行")
    await expect(problems.nth(0)).to_contain_text("该学员未以培训券报名此培训班")
    await expect(problems.nth(1)).to_contain_text("第 5 行")
    await expect(problems.nth(1)).to_contain_text("与第 2 行重复（同一学员）")
    await expect(page.locator("#claim-rows tr", has_text=a["code"])).to_contain_text("待审核")
    await expect(page.locator("#claim-rows tr", has_text=a["code"])).to_contain_text("500.00")

    # The same from Excel: the second trainee, and a code nobody in the class holds.
    book = xlsx(
        [
            ["培训券号", "姓名", "考核结果", "证书类别", "证书编号", "证书等级"],
            [b["code"], "王*明", "合格", "职业技能等级证书", "CERT-B", "五级"],
            ["AAAAAAAAAAAAAAAA", "", "合格", "职业技能等级证书", "CERT-Y", "五级"],
        ]
    )
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    await page.set_input_files(
        "#upload-form input[name=file]", files=[{"name": "结果.xlsx", "mimeType": mime, "buffer": book}]
    )
    await page.click("#upload-form button[type=submit]")
    await expect(page.locator("#notice")).to_have_text("已提交 1 名学员的结业结果，等待人社部门审核")
    await expect(page.locator("#report-summary")).to_contain_text("共 2 名学员：1 名已提交审核，1 名未通过检查")
    await expect(page.locator("#problem-rows tr").first).to_contain_text("第 3 行")
    await expect(page.locator("#claim-totals")).to_have_text("待审核 1000.00 元，已通过 0.00 元")

    # The bureau decides: the page shows 已通过 and 已驳回 with the reason.
    claims = {c.voucher_id: c for c in await SettlementClaim.all().prefetch_related("voucher")}
    by_code = {c.voucher.code: c.id for c in claims.values()}
    assert (await decide(client, env, by_code[a["code"]], decision="reject", reason="证书编号不符")).status == 200
    assert (await decide(client, env, by_code[b["code"]], decision="approve")).status == 200
    await page.set_viewport_size({"width": 375, "height": 740})
    await page.reload()
    await expect(page.locator("#claim-rows tr", has_text=a["code"])).to_contain_text("已驳回：证书编号不符")
    await expect(page.locator("#claim-rows tr", has_text=b["code"])).to_contain_text("已通过")
    await expect(page.locator("#claim-totals")).to_have_text("待审核 0.00 元，已通过 500.00 元")
    assert await wider_than_screen(page) == []
    assert failures == []


async def test_the_template_lists_the_enrolled_trainees(client, svc, browser):
    from openpyxl import load_workbook

    from tests.support.factories import auth

    env = await settlement_env(client, svc, trainees=2)
    r = await client.get(
        f"/api/v1/institution/classes/{env['class']['id']}/completion-template.xlsx", headers=auth(env["commissioner"])
    )
    assert r.status == 200
    rows = list(load_workbook(io.BytesIO(await r.read())).active.iter_rows(values_only=True))
    assert rows[0] == ("培训券号", "姓名", "考核结果", "证书类别", "证书编号", "证书等级")
    assert {row[0] for row in rows[1:]} == {t["code"] for t in env["trainees"]}
