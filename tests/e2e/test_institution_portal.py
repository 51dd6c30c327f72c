"""The institution portal's frame in a real Chromium: one login for every page, the navigation a
member may use, 退出 that ends the session, and a phone-sized screen."""

from __future__ import annotations

import pytest

try:
    from playwright.async_api import expect
except ImportError:  # reported by the browser fixture
    expect = None  # type: ignore[assignment]

from tests.support.browser import new_page
from tests.support.factories import auth, bureau, regions
from tests.support.institutions import institution, scanner
from tests.support.portal import portal_login


@pytest.fixture
async def env(client, svc):
    await regions()
    token = await bureau(svc)
    inst, commissioner = await institution(client, token)
    await scanner(client, commissioner, f"s{inst['code']}")
    return {"institution": inst, "base": str(client.make_url("")).rstrip("/")}


async def test_commissioner_logs_in_once_and_moves_between_pages(client, env, browser):
    failures: list[str] = []
    page = await new_page(browser, failures)
    await portal_login(page, env["base"], f"c{env['institution']['code']}")
    await expect(page.locator("#who-name")).to_contain_text(env["institution"]["name"])
    await expect(page.locator("#who-name")).to_contain_text("机构专员")
    await expect(page.locator("#portal-nav a", has_text="工作人员")).to_be_visible()

    # Another page of the portal: no second login.
    await page.click("#portal-nav a:has-text('教学点')")
    await page.wait_for_selector("#app:not([hidden])")
    await expect(page.locator("#app h1")).to_have_text("教学点")
    await expect(page.locator("#portal-nav a[aria-current=page]")).to_have_text("教学点")

    # 退出 ends the session on the server: the token the page held opens nothing any more.
    held = await page.evaluate("sessionStorage.getItem('pxq.staff.token')")
    await page.click("#logout")
    await page.wait_for_selector("#login:not([hidden])")
    r = await client.get("/api/v1/institution/me", headers=auth(held))
    assert r.status == 401
    assert failures == []


async def test_scanning_staff_see_no_commissioner_pages(env, browser):
    failures: list[str] = []
    page = await new_page(browser, failures)
    await portal_login(page, env["base"], f"s{env['institution']['code']}")
    await expect(page.locator("#who-name")).to_contain_text("工作人员")
    await expect(page.locator("#portal-nav a", has_text="工作人员")).to_be_hidden()
    await page.goto(env["base"] + "/institution/staff")
    await page.wait_for_selector("#app:not([hidden])")
    await expect(page.locator("#not-allowed")).to_be_visible()
    await expect(page.locator("#not-allowed")).to_contain_text("仅限机构专员")
    assert failures == []


async def test_wrong_password_is_told_in_chinese_on_a_phone(env, browser):
    failures: list[str] = []
    page = await new_page(browser, failures)
    await page.set_viewport_size({"width": 375, "height": 740})
    await page.goto(env["base"] + "/institution")
    await page.fill("#login input[name=username]", f"c{env['institution']['code']}")
    await page.fill("#login input[name=password]", "wrong password")
    await page.click("#login button[type=submit]")
    await expect(page.locator("#login-error")).to_contain_text("用户名或密码错误")
    # Nothing wider than the phone's screen.
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375
    assert failures == []


async def test_the_start_page_leads_each_user_to_their_pages(env, browser):
    failures: list[str] = []
    page = await new_page(browser, failures)
    await page.set_viewport_size({"width": 375, "height": 740})
    response = await page.goto(env["base"] + "/")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    tiles = page.locator(".tiles a")
    await expect(tiles).to_have_count(7)  # bureau, institution, scan desk; the trainee's H5 pages
    hrefs = {await a.get_attribute("href") for a in await tiles.all()}
    assert hrefs == {
        *("/console", "/institution", "/institution/scan"),
        *("/h5/cards", "/h5/catalogue", "/h5/wallet", "/h5/archive"),
    }
    # Chinese for people; the API's English summaries are for programs, at /openapi.json.
    assert "GET" not in await page.inner_text("body")
    await page.click("text=培训机构服务平台")
    await expect(page.locator("#login h1")).to_have_text("机构工作人员登录")
    assert failures == []
