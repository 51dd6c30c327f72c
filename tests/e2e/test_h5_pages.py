"""The trainee's H5 pages at phone size in a real headless Chromium, as a trainee uses them:
claim from the card center, see the voucher in the wallet, read "me", and 退出."""

from __future__ import annotations

from models import Voucher
from tests.support.browser import new_page, wider_than_screen
from tests.support.factories import auth, bureau, published_batch, regions, trainee

try:
    from playwright.async_api import expect
except ImportError:  # the browser fixture skips with the reason
    expect = None  # type: ignore[assignment]

PHONE = {"width": 375, "height": 740}


async def _phone(browser, client, failures: list[str], session: str, path: str):
    page = await new_page(browser, failures)
    await page.set_viewport_size(PHONE)
    await page.goto(str(client.make_url(path)) + f"#token={session}")
    assert "token" not in page.url
    return page


async def test_a_trainee_claims_from_the_card_center_and_finds_the_voucher_in_the_wallet(client, svc, browser):
    await regions()
    token = await bureau(svc)
    batch = await published_batch(
        client, token, title="2026年无锡市电工培训券", eligible_groups=["失业人员", "脱贫人口"]
    )
    account, session = await trainee(svc, name="王小明")
    failures: list[str] = []
    page = await _phone(browser, client, failures, session, "/h5/cards")
    offer = page.locator(f"#batches li[data-batch='{batch['id']}']")
    await expect(offer).to_contain_text("发放对象：失业人员、脱贫人口")
    await offer.get_by_role("button", name="领取").click()
    await expect(page.locator("#message")).to_have_text("请选择您的人员类别")
    await offer.get_by_label("您的人员类别").select_option("失业人员")
    await offer.get_by_role("button", name="领取").click()
    await expect(page.locator("#notice")).to_contain_text("已领取“2026年无锡市电工培训券”")
    await expect(offer.locator(".why")).to_be_visible()  # claimed: no second 领取
    voucher = await Voucher.get(person_id=account.person_id)
    assert voucher.eligible_group == "失业人员"
    assert await wider_than_screen(page) == []

    await page.get_by_role("link", name="我的券").click()
    await expect(page.locator(f"a[data-code='{voucher.code}']")).to_have_text("2026年无锡市电工培训券")
    await expect(page.locator("#vouchers li").first).to_contain_text("可使用")
    assert failures == []


async def test_me_shows_the_masked_identity_and_logout_ends_the_session(client, svc, browser):
    await regions()
    _, session = await trainee(svc, name="王小明")
    failures: list[str] = []
    page = await _phone(browser, client, failures, session, "/h5/me")
    await expect(page.locator("#who")).to_have_text("王*明")
    await expect(page.locator("#channels li").first).to_contain_text("人社 App（H5）（当前）")
    await page.get_by_role("button", name="退出").click()
    await page.click("#confirm-ok")
    await expect(page.locator("#message")).to_have_text("请从电子社保卡或人社 App 进入本页面")
    assert (await client.get("/api/v1/vouchers", headers=auth(session))).status == 401
    assert failures == []


async def test_a_trainee_evaluates_a_finished_training_once_and_can_change_it(client, svc, browser):
    from models import Evaluation
    from tests.support.settlement import passed, settlement_env, submit

    env = await settlement_env(client, svc, trainees=1)
    [t] = env["trainees"]
    await submit(client, env, [passed(t["code"])])  # completed
    failures: list[str] = []
    page = await _phone(browser, client, failures, t["session"], f"/h5/evaluate?voucher={t['code']}")
    form = page.locator("#evaluation-form")
    await expect(form).to_be_visible()  # opened for the voucher the notice linked to
    await form.get_by_role("button", name="提交评价").click()
    await expect(page.locator("#message")).to_have_text("请为教学质量、组织管理和实用程度各打 1 到 5 分")
    for legend, score in (("教学质量", "5"), ("组织管理", "4"), ("实用程度", "5")):
        await form.locator("fieldset", has_text=legend).get_by_label(f"{score} 分").check()
    await form.get_by_label("老师认真").check()
    await form.locator("textarea[name=comment]").fill("实操课很有用")
    await form.get_by_role("button", name="提交评价").click()
    await expect(page.locator("#notice")).to_have_text("感谢您的评价！")
    await expect(page.locator("#pending li.empty")).to_contain_text("没有待评价的培训")
    given = page.locator("#given li").first
    await expect(given).to_contain_text("教学 5 分 · 组织 4 分 · 实用 5 分")
    await given.get_by_role("button", name="修改").click()
    await form.locator("fieldset", has_text="组织管理").get_by_label("5 分").check()
    await form.get_by_role("button", name="提交评价").click()
    await expect(given).to_contain_text("组织 5 分")
    [evaluation] = await Evaluation.all()
    assert (evaluation.teaching, evaluation.organisation, evaluation.usefulness) == (5, 5, 5)
    # Once per voucher: the API refuses a second one.
    again = await client.post(
        "/api/v1/evaluations",
        json={"voucher_code": t["code"], "teaching": 1, "organisation": 1, "usefulness": 1},
        headers=auth(t["session"]),
    )
    assert again.status == 409
    assert failures == []


async def test_a_trainee_finds_a_class_for_the_voucher_signs_up_and_sees_it_confirmed(client, svc, browser):
    from tests.support.catalogue import catalogue_env, open_class
    from tests.support.institutions import post_scan, scan_body, voucher_payload

    env = await catalogue_env(client, svc)
    # A second class the voucher cannot pay for (another project type) is not offered.
    await open_class(client, env["commissioner"], [env["site"]["id"]], name="创业培训班", project_type="创业培训")
    failures: list[str] = []
    page = await _phone(browser, client, failures, env["session"], "/h5/catalogue")
    classes = page.locator("#classes > li")
    await expect(classes).to_have_count(1)
    offered = classes.first
    await expect(offered).to_contain_text(env["class"]["name"])
    await expect(offered).to_contain_text(env["institution"]["name"])
    # Search narrows it; a word that matches nothing says what to do.
    form = page.locator("#search")
    await form.locator("input[name=q]").fill("不存在的培训")
    await form.get_by_role("button", name="搜索").click()
    await expect(page.locator("#classes li.empty")).to_contain_text("没有您的培训券能用的培训班")
    await form.locator("input[name=q]").fill("")
    await form.get_by_role("button", name="搜索").click()
    await offered.get_by_role("button", name="报名").click()
    await expect(page.locator("#notice")).to_contain_text(f"已报名“{env['class']['name']}”")
    await expect(classes.first).to_contain_text("我的报名：待确认")
    assert await wider_than_screen(page) == []

    # The institution scans the voucher at registration: the sign-up is confirmed.
    payload = await voucher_payload(client, env["session"], env["code"])
    answer = await post_scan(client, env["scanner"], scan_body(payload, "enrol", env["class"]["id"]))
    assert answer["result"] == "ok", answer
    await page.get_by_role("link", name="我的报名").click()
    await expect(page.locator("#signups > li").first).to_contain_text("状态：已确认")
    assert failures == []


async def test_notices_show_what_no_channel_delivered_and_a_voucher_goes_back(client, svc, browser):
    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token, title="2026年无锡市电工培训券")
    _, session = await trainee(svc, name="王小明")
    claimed = await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(session))
    code = (await claimed.json())["code"]
    failures: list[str] = []
    # An H5 trainee follows no Official Account and consented to nothing: the claim notice found
    # no channel, and is still in the list.
    page = await _phone(browser, client, failures, session, "/h5/notices")
    first = page.locator("#notices > li").first
    await expect(first).to_contain_text("领取成功")
    await expect(first).to_have_class("unread")
    await expect(page.locator("#unread")).to_have_text("1")
    await expect(page.locator("#kept")).to_have_text("这里保留最近90天的通知，更早的已自动清理。")
    await first.get_by_role("button", name="标为已读").click()
    await expect(page.locator("#notices > li.unread")).to_have_count(0)
    await expect(page.locator("#unread")).to_be_hidden()

    # 退券 from the wallet: the unit goes back, and the notice of it arrives in the list.
    await page.get_by_role("link", name="我的券").click()
    await page.click(f"a[data-code='{code}']")
    await page.get_by_role("button", name="退券").click()
    await page.click("#confirm-ok")
    await expect(page.locator("#notice")).to_have_text("已退券")
    await expect(page.locator("#vouchers li").first).to_contain_text("已退券")
    assert (await client.get(f"/api/v1/admin/batches/{batch['id']}", headers=auth(token))).status == 200
    remaining = (await (await client.get(f"/api/v1/admin/batches/{batch['id']}", headers=auth(token))).json())[
        "remaining"
    ]
    assert remaining == batch["quantity"]
    await page.get_by_role("link", name="通知").click()
    await expect(page.locator("#notices > li").first).to_have_class("unread")
    assert failures == []


async def test_the_institution_declines_a_sign_up_and_the_trainee_reads_why(client, svc, browser):
    from tests.support.catalogue import catalogue_env, open_class, signed_up
    from tests.support.portal import portal_login

    env = await catalogue_env(client, svc)
    await signed_up(client, env["session"], env["class"]["id"], env["code"])
    # A later class, listed first, has no sign-up: the page opens on the class that has one.
    await open_class(client, env["commissioner"], [env["site"]["id"]], days=20, name="下一期电工班")
    failures: list[str] = []
    desk = await new_page(browser, failures)
    commissioner = f"c{env['institution']['code']}"
    await portal_login(desk, str(client.make_url("")).rstrip("/"), commissioner, path="/institution/signups")
    chosen = desk.locator("#class option:checked")
    await expect(chosen).to_contain_text(f"{env['class']['name']}")
    await expect(chosen).to_contain_text("待确认 1 人")
    row = desk.locator("#signup-rows tr").first
    await expect(row.locator(".status")).to_have_text("待确认")
    await row.locator("input").fill("本班只招收有电工基础的学员")
    await row.get_by_role("button", name="婉拒").click()
    await desk.click("#confirm-ok")
    await expect(row.locator(".status")).to_have_text("已婉拒：本班只招收有电工基础的学员")

    page = await _phone(browser, client, failures, env["session"], "/h5/signups")
    await expect(page.locator("#signups > li").first).to_contain_text("状态：已婉拒（本班只招收有电工基础的学员）")
    await page.get_by_role("link", name="通知").click()
    await expect(page.locator("#notices > li").first).to_contain_text("报名被婉拒")
    assert failures == []


async def test_the_institution_reads_its_evaluations_without_names(client, svc, browser):
    from tests.support.portal import portal_login
    from tests.support.settlement import passed, settlement_env, submit

    env = await settlement_env(client, svc, trainees=1)
    [t] = env["trainees"]
    await submit(client, env, [passed(t["code"])])
    given = await client.post(
        "/api/v1/evaluations",
        json={
            "voucher_code": t["code"],
            "teaching": 5,
            "organisation": 4,
            "usefulness": 3,
            "tags": ["老师认真"],
            "comment": "实操课很有用",
        },
        headers=auth(t["session"]),
    )
    assert given.status == 201, await given.text()
    failures: list[str] = []
    desk = await new_page(browser, failures)
    await portal_login(
        desk, str(client.make_url("")).rstrip("/"), f"c{env['institution']['code']}", path="/institution/evaluations"
    )
    await expect(desk.locator("#overall")).to_have_text("共 1 条评价，综合 4.0 分")
    row = desk.locator("#evaluation-rows tr").first
    await expect(row).to_contain_text("老师认真 1")
    # One evaluation only: its comment is not shown, so its author cannot be singled out.
    await expect(desk.locator("#comments li")).to_have_count(1)
    await expect(desk.locator("#comments li.empty")).to_contain_text("一个培训班满 3 条评价后")
    assert "实操课很有用" not in await desk.inner_text("#page")
    assert "王" not in await desk.inner_text("#page")
    assert failures == []
