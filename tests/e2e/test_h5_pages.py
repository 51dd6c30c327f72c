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
