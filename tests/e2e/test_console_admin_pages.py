"""The bureau console's administration pages in a real headless Chromium, as each clerk uses
them: roles decide what a clerk sees and may do, accounts, the institution registry,
standards and targets, the archive lookup. Messages reach the page in Chinese."""

from __future__ import annotations

import re

from models import AdminEvent, ArchiveLookup, BureauUser, Institution, RegionTarget, SubsidyStandard
from tests.support.console import console_login
from tests.support.factories import auth, bureau, id_number, published_batch, regions, trainee
from tests.support.institutions import STAFF_PASSWORD

try:
    from playwright.async_api import expect
except ImportError:  # the browser fixture skips with the reason
    expect = None  # type: ignore[assignment]


async def _login(browser, client, failures: list[str], username: str, path: str):
    return await console_login(browser, client, failures, username, path)


def _no_english(text: str) -> None:
    assert re.search(r"[A-Za-z]{3,}", text) is None, text


async def test_a_first_reviewer_sees_only_what_the_role_allows(client, svc, browser):
    await regions()
    admin = await bureau(svc)
    await bureau(svc, "li-review", role="first_reviewer")
    await published_batch(client, admin, title="2026年无锡市通用券")
    failures: list[str] = []
    page = await _login(browser, client, failures, "li-review", "/console")
    await expect(page.locator("#who-name")).to_have_text("无锡市 · li-review（初审员）")
    nav = page.locator("#portal-nav")
    await expect(nav.get_by_role("link", name="结算审核")).to_be_visible()
    await expect(nav.get_by_role("link", name="账号管理")).to_be_hidden()
    await expect(nav.get_by_role("link", name="名单导入")).to_be_hidden()
    # The batches are there to read, without the form or 发布/关闭.
    await page.goto(str(client.make_url("/console/batches")))
    row = page.locator("#batch-rows tr", has_text="2026年无锡市通用券")
    await expect(row).to_be_visible()
    await expect(row.get_by_role("button", name="关闭")).to_have_count(0)
    await expect(page.locator("#batch-form")).to_be_hidden()
    # Standards to read: an empty list sends the reviewer to the administrator, not to a form.
    await page.goto(str(client.make_url("/console/standards")))
    await expect(page.locator("#standard-rows td.empty")).to_contain_text("请联系本地区的管理员设置")
    await expect(page.locator("#standard-form")).to_be_hidden()
    # A page of another role says why, and shows nothing of it.
    await page.goto(str(client.make_url("/console/accounts")))
    await expect(page.locator("#not-allowed")).to_have_text("您的角色不能使用此页面。如需操作，请联系本地区的管理员。")
    await expect(page.locator("#page")).to_be_hidden()
    assert failures == []


async def test_the_administrator_adds_a_clerk_changes_the_role_and_the_log_shows_it(client, svc, browser):
    await regions()
    await bureau(svc)
    failures: list[str] = []
    page = await _login(browser, client, failures, "wuxi", "/console/accounts")
    form = page.locator("#account-form")
    await form.locator("input[name=username]").fill("zhanghua")
    await form.locator("input[name=display_name]").fill("张华")
    await form.locator("select[name=role]").select_option(label="初审员")
    await form.locator("input[name=password]").fill("initial password 1")
    await form.get_by_role("button", name="添加").click()
    await expect(page.locator("#notice")).to_contain_text("已添加 zhanghua（初审员）")
    await expect(form.locator("input[name=username]")).to_have_value("")
    # The same username again: refused in Chinese.
    await form.locator("input[name=username]").fill("zhanghua")
    await form.locator("input[name=password]").fill("initial password 1")
    await form.get_by_role("button", name="添加").click()
    await expect(page.locator("#notice")).to_have_text("该用户名已被使用")
    row = page.locator("#account-rows tr[data-account=zhanghua]")
    await row.locator("select").select_option(label="复审员")
    await expect(page.locator("#confirm-text")).to_contain_text("把 张华 的角色改为“复审员”")
    await page.click("#confirm-ok")
    await expect(page.locator("#notice")).to_contain_text("已将 zhanghua 的角色改为复审员")
    assert (await BureauUser.get(username="zhanghua")).role == "second_reviewer"
    await row.get_by_role("button", name="停用").click()
    await page.click("#confirm-ok")
    await expect(row.locator(".status")).to_have_text("已停用")
    log = page.locator("#event-rows tr")
    await expect(log.first).to_contain_text("停用账号")
    await expect(log.nth(1)).to_contain_text("角色：初审员 → 复审员")
    await expect(log.nth(2)).to_contain_text("新建账号")
    assert failures == []


async def test_a_wrong_batch_form_is_explained_in_chinese(client, svc, browser):
    await regions()
    await bureau(svc)
    failures: list[str] = []
    page = await _login(browser, client, failures, "wuxi", "/console/batches")
    form = page.locator("#batch-form")
    await form.locator("input[name=title]").fill("2026年无锡市固定日期券")
    await form.locator("input[name=face_value_yuan]").fill("500")
    await form.locator("select[name=validity_mode]").select_option("fixed_date")
    await expect(form.locator("input[name=valid_days]")).to_be_hidden()
    await form.get_by_role("button", name="保存草稿").click()
    notice = page.locator("#notice")
    await expect(notice).to_contain_text("有效期截止日期")
    _no_english(await notice.inner_text())
    # Put right: the draft is saved with its claim window, fund source and groups.
    await form.locator("input[name=valid_until_date]").fill("2026-12-31")
    await form.locator("input[name=claim_start]").fill("2026-03-01T09:00")
    await form.locator("input[name=fund_source]").fill("职业技能提升行动专账资金")
    await form.get_by_label("创业培训").check()
    await form.get_by_label("脱贫人口").check()
    await form.get_by_role("button", name="保存草稿").click()
    await expect(notice).to_contain_text("已保存草稿")
    from models import Batch

    batch = await Batch.get(title="2026年无锡市固定日期券")
    assert batch.fund_source == "职业技能提升行动专账资金"
    assert batch.project_types == ["就业技能培训", "创业培训"]
    assert batch.eligible_groups == ["失业人员", "脱贫人口"]
    assert batch.claim_start.isoformat() == "2026-03-01T01:00:00+00:00"  # 09:00 in Wuxi
    assert str(batch.valid_until_date) == "2026-12-31"
    row = page.locator("#batch-rows tr", has_text="2026年无锡市固定日期券")
    await row.get_by_role("button", name="查看").click()
    await expect(page.locator("#detail-rules")).to_contain_text("资金来源：职业技能提升行动专账资金")
    await expect(page.locator("#detail-counts dd[data-count=总量]")).to_have_text("100")
    assert failures == []


async def test_an_institution_is_registered_suspended_and_its_staff_shut_out(client, svc, browser):
    await regions()
    await bureau(svc)
    failures: list[str] = []
    page = await _login(browser, client, failures, "wuxi", "/console/institutions")
    await expect(page.locator("#institution-rows td.empty")).to_contain_text("还没有登记培训机构")
    form = page.locator("#register-form")
    await form.locator("input[name=name]").fill("无锡市梁溪区星火职业培训学校")
    await form.locator("input[name=code]").fill("3202001")
    await form.locator("input[name=address]").fill("无锡市梁溪区人民中路1号")
    await form.locator("input[name=phone]").fill("0510-82345678")
    await form.locator("select[name=kind]").select_option("民办职业培训学校")
    await form.locator("input[name=commissioner_name]").fill("张三丰")
    await form.locator("input[name=commissioner_id]").fill(id_number())
    await form.locator("input[name=username]").fill("xinghuo")
    await form.locator("input[name=password]").fill(STAFF_PASSWORD)
    await form.get_by_role("button", name="登记").click()
    await expect(page.locator("#notice")).to_contain_text("已登记“无锡市梁溪区星火职业培训学校”")
    row = page.locator("#institution-rows tr[data-institution='3202001']")
    await expect(row).to_contain_text("张*丰（xinghuo）")

    login = await client.post("/api/v1/institution/login", json={"username": "xinghuo", "password": STAFF_PASSWORD})
    staff_token = (await login.json())["token"]
    await row.locator("input").fill("未按规定组织培训")
    await row.get_by_role("button", name="暂停").click()
    await page.click("#confirm-ok")
    await expect(row.locator(".status")).to_have_text("已暂停：未按规定组织培训")
    assert (await client.get("/api/v1/institution/me", headers=auth(staff_token))).status == 401
    again = await client.post("/api/v1/institution/login", json={"username": "xinghuo", "password": STAFF_PASSWORD})
    assert again.status == 403
    assert (await again.json())["error"]["code"] == "institution_suspended"

    # Search, the glance, and a correction.
    await page.locator("#search-form input[name=q]").fill("星火")
    await page.locator("#search-form").get_by_role("button", name="查询").click()
    await expect(page.locator("#institution-rows tr")).to_have_count(1)
    await row.get_by_role("button", name="查看").click()
    await expect(page.locator("#overview-classes td.empty")).to_contain_text("还没有开设培训班")
    await expect(page.locator("#evaluation-classes td.empty")).to_contain_text("还没有学员评价")
    await page.locator("#edit-form input[name=phone]").fill("0510-87654321")
    await page.locator("#edit-form").get_by_role("button", name="保存修改").click()
    await expect(page.locator("#notice")).to_have_text("已保存修改")
    assert (await Institution.get(code="3202001")).phone == "0510-87654321"
    actions = [e.action for e in await AdminEvent.filter(subject_kind="institution").order_by("id")]
    assert actions == ["institution_suspended", "institution_updated"]
    await row.get_by_role("button", name="恢复").click()
    await page.click("#confirm-ok")
    await expect(row.locator(".status")).to_have_text("正常")
    login = await client.post("/api/v1/institution/login", json={"username": "xinghuo", "password": STAFF_PASSWORD})
    assert login.status == 200
    assert failures == []


async def test_standards_and_targets_are_set_from_their_pages(client, svc, browser):
    await regions()
    await bureau(svc)
    failures: list[str] = []
    page = await _login(browser, client, failures, "wuxi", "/console/standards")
    await expect(page.locator("#standard-rows td.empty")).to_contain_text("还没有补贴标准")
    form = page.locator("#standard-form")
    await form.locator("select[name=project_type]").select_option("创业培训")
    await form.locator("input[name=amount_yuan]").fill("1500")
    await form.locator("input[name=effective_year]").fill("2026")
    await form.get_by_role("button", name="保存补贴标准").click()
    await expect(page.locator("#notice")).to_contain_text("创业培训 自 2026 年起 1500.00 元")
    await expect(page.locator("#standard-rows tr").first).to_contain_text("所有工种")
    standard = await SubsidyStandard.get(project_type="创业培训")
    assert (standard.amount_fen, standard.effective_year, standard.region_id) == (150_000, 2026, "320200")

    await page.locator("#target-year").fill("2027")
    await page.locator("#target-year-form").get_by_role("button", name="查看").click()
    await expect(page.locator("#target-rows")).to_have_attribute("data-year", "2027")
    row = page.locator("#target-rows tr[data-region='320281']")
    await row.locator("input[name=issue_target]").fill("15000")
    await row.locator("input[name=use_target]").fill("1500")
    await row.get_by_role("button", name="保存").click()
    await expect(page.locator("#notice")).to_contain_text("江阴市 2027 年目标：发券 15000 张，用券 1500 张")
    target = await RegionTarget.get(region_id="320281", year=2027)
    assert (target.issue_target, target.use_target) == (15000, 1500)
    assert failures == []


async def test_an_archive_is_looked_up_without_the_id_number_in_any_url(client, svc, browser):
    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token, title="2026年无锡市通用券")
    number = id_number()
    _, session = await trainee(svc, number, name="王小明")
    claimed = await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(session))
    assert claimed.status == 201
    failures: list[str] = []
    page = await _login(browser, client, failures, "wuxi", "/console/archive")
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    await page.locator("#lookup-form input[name=id_number]").fill(number)
    await page.locator("#lookup-form").get_by_role("button", name="查询档案").click()
    await expect(page.locator("#archive-holder")).to_contain_text("王*明")
    await expect(page.locator("#archive-vouchers tr")).to_contain_text("待使用")
    await expect(page.locator("#lookup-form input[name=id_number]")).to_have_value("")
    await expect(page.locator("#lookup-rows tr").first).to_contain_text("已显示档案")
    assert not any(number in u for u in [*urls, page.url])
    assert await ArchiveLookup.filter(shown=True).count() == 1
    assert failures == []


async def test_a_vouchers_history_is_read_revoked_and_a_tampered_row_is_named(client, svc, browser):
    from tortoise import connections

    from models import Voucher, VoucherHistory

    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token, title="2026年无锡市通用券")
    _, session = await trainee(svc, name="王小明")
    code = (await (await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(session))).json())[
        "code"
    ]
    failures: list[str] = []
    page = await _login(browser, client, failures, "wuxi", "/console/vouchers")
    await page.locator("#voucher-form input[name=code]").fill(code.lower())
    await page.locator("#voucher-form").get_by_role("button", name="查询").click()
    await expect(page.locator("#voucher-title")).to_have_text(f"{code}（待使用）")
    await expect(page.locator("#voucher-facts")).to_contain_text("王*明")
    await expect(page.locator("#voucher-integrity")).to_contain_text("记录完整")
    await page.locator("#revoke-form input[name=reason]").fill("重复发放")
    await page.locator("#revoke-form").get_by_role("button", name="作废此券").click()
    await expect(page.locator("#confirm-text")).to_contain_text(f"作废培训券 {code}")
    await page.click("#confirm-ok")
    await expect(page.locator("#notice")).to_have_text(f"培训券 {code} 已作废")
    rows = page.locator("#history-rows tr")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(1)).to_contain_text("作废")
    await expect(rows.nth(1)).to_contain_text("原因：重复发放")
    await expect(rows.nth(1)).to_contain_text("待使用 → 已作废")
    await expect(page.locator("#revoke-form")).to_be_hidden()
    assert (await Voucher.get(code=code)).status == "revoked"

    # Someone edits the first row in the database: the page names it.
    first = await VoucherHistory.filter(voucher__code=code).order_by("id").first()
    await connections.get("default").execute_query(
        "UPDATE voucher_history SET actor_kind = 'bureau' WHERE id = " + str(first.id)
    )
    await page.locator("#voucher-form").get_by_role("button", name="查询").click()
    await expect(page.locator("#voucher-integrity")).to_contain_text(f"第 {first.id} 号记录")
    await expect(page.locator(f"#history-rows tr[data-history='{first.id}']")).to_have_class("chain-broken")
    assert failures == []


async def test_an_online_platform_is_registered_and_its_key_rotated(client, svc, browser):
    from models import Institution

    await regions()
    await bureau(svc)
    failures: list[str] = []
    page = await _login(browser, client, failures, "wuxi", "/console/platforms")
    await expect(page.locator("#platform-rows td.empty")).to_contain_text("还没有登记线上培训平台")
    form = page.locator("#platform-form")
    await form.locator("input[name=name]").fill("无锡职业技能在线学习平台")
    await form.locator("input[name=code]").fill("3202999")
    await form.locator("input[name=address]").fill("无锡市新吴区")
    await form.locator("input[name=phone]").fill("0510-88888888")
    await form.get_by_label("就业技能培训").check()
    await form.get_by_role("button", name="登记").click()
    await expect(page.locator("#secret")).to_contain_text("只显示这一次")
    row = page.locator("#platform-rows tr[data-platform='3202999']")
    await expect(row).to_contain_text("就业技能培训")
    await row.get_by_role("button", name="新增密钥").click()
    await expect(row.get_by_role("button", name=re.compile("停用密钥"))).to_have_count(2)
    await row.get_by_role("button", name=re.compile("停用密钥")).first.click()
    await page.click("#confirm-ok")
    await expect(row.get_by_role("button", name=re.compile("停用密钥"))).to_have_count(1)
    assert await Institution.exists(code="3202999")
    assert failures == []
