"""The commissioner's 工作人员 page and every member's 我的账号 page in a real Chromium, including
the WeChat binding round trip: the portal's QR code, scanned in the WeChat sandbox, reaches the
bot, and the member's next institution notice arrives as a template message."""

from __future__ import annotations

import base64

import aiohttp
import pytest

try:
    from playwright.async_api import expect
except ImportError:  # reported by the browser fixture
    expect = None  # type: ignore[assignment]

from peixunquan.worker_setup import build_jobs
from tests.support.browser import new_page
from tests.support.factories import auth, bureau, published_batch, regions
from tests.support.institutions import STAFF_PASSWORD, claimed_voucher, post_scan, scan_body, setup_institution
from tests.support.portal import portal_login
from tests.support.qr import decode_png, require_zbar
from tests.support.wechat import WechatEnv, make_env

NEW_PASSWORD = "front desk 2026"


@pytest.fixture
async def wechat(aiohttp_client, aiohttp_server, config, svc) -> WechatEnv:
    return await make_env(aiohttp_client, aiohttp_server, config, svc, plaintext_too=False)


@pytest.fixture
async def env(wechat):
    await regions()
    token = await bureau(wechat.svc)
    env = await setup_institution(wechat.client, token)
    env.update(bureau=token, base=str(wechat.client.make_url("")).rstrip("/"))
    return env


async def test_commissioner_adds_resets_disables_and_removes_a_member(env, browser):
    failures: list[str] = []
    page = await new_page(browser, failures)
    code = env["institution"]["code"]
    await portal_login(page, env["base"], f"c{code}", path="/institution/staff")
    await expect(page.locator("#staff-rows")).to_contain_text("机构专员")

    # A refused form says what is wrong in the form's words, and keeps what was typed.
    await page.fill("#add-form input[name=username]", "李 四")
    await page.fill("#add-form input[name=password]", "0123456789")
    await page.click("#add-form button[type=submit]")
    await expect(page.locator("#notice.error")).to_have_text("输入内容不符合要求：用户名格式不正确")
    await page.fill("#add-form input[name=username]", "lisi")
    await page.fill("#add-form input[name=display_name]", "前台李四")
    await page.click("#add-form button[type=submit]")
    await expect(page.locator("#notice")).to_contain_text("已添加 前台李四")
    await expect(page.locator("#add-form input[name=username]")).to_have_value("")  # the form reset
    row = page.locator("#staff-rows tr", has_text="lisi")
    await expect(row).to_contain_text("启用")

    # 重置密码: the member logs in with the new one.
    await row.locator("button", has_text="重置密码").click()
    await page.fill("#reset-form input[name=password]", NEW_PASSWORD)
    await page.click("#reset-form button[type=submit]")
    await expect(page.locator("#notice")).to_contain_text("已重置")

    # 停用, after a confirmation: the member is told the account is disabled.
    await row.locator("button", has_text="停用").click()
    await page.click("#confirm-ok")
    await expect(row).to_contain_text("已停用")
    member = await new_page(browser, failures)
    await member.goto(env["base"] + "/institution")
    await member.fill("#login input[name=username]", "lisi")
    await member.fill("#login input[name=password]", NEW_PASSWORD)
    await member.click("#login button[type=submit]")
    await expect(member.locator("#login-error")).to_have_text("该账号已被机构专员停用，请联系本机构的机构专员")

    # 删除 asks first; 取消 keeps the member.
    await row.locator("button", has_text="启用").click()
    await expect(row).to_contain_text("启用")
    await row.locator("button", has_text="删除").click()
    await page.click("#confirm button[value=cancel]")
    await expect(row).to_have_count(1)
    await row.locator("button", has_text="删除").click()
    await page.click("#confirm-ok")
    await expect(page.locator("#notice")).to_contain_text("已删除")
    await expect(page.locator("#staff-rows tr", has_text="lisi")).to_have_count(0)
    assert failures == []


async def test_a_member_binds_wechat_from_the_portal_and_gets_the_next_notice(wechat, env, browser, config):
    require_zbar()
    failures: list[str] = []
    page = await new_page(browser, failures)
    await page.set_viewport_size({"width": 375, "height": 740})
    await portal_login(page, env["base"], f"s{env['institution']['code']}", path="/institution/wechat")
    await expect(page.locator("#binding-rows td.empty")).to_contain_text("还没有绑定微信")
    await page.click("#make-qr")
    await expect(page.locator("#qr-box")).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375

    # The phone: WeChat's scan of what the page shows.
    src = await page.get_attribute("#qr", "src")
    url = decode_png(base64.b64decode(src.split(",", 1)[1]))
    assert url.startswith("http://weixin.qq.com/q/")
    r = await wechat.client.session.post(
        f"{wechat.config.wechat_official.api_base}/sandbox/scan-qrcode", json={"user": "frontdesk", "url": url}
    )
    scanned = await r.json()
    assert scanned["errcode"] == 0 and scanned["delivered"] == 200, scanned
    assert "绑定成功" in scanned["reply"]
    # The page sees the binding without a reload.
    await expect(page.locator("#notice")).to_contain_text("绑定成功")
    await expect(page.locator("#binding-rows")).to_contain_text("微信用户（尾号")
    # The same code again binds nobody else.
    r = await wechat.client.session.post(
        f"{wechat.config.wechat_official.api_base}/sandbox/scan-qrcode", json={"user": "stranger", "url": url}
    )
    assert "无效或已过期" in (await r.json())["reply"]

    # An enrolment at the institution: the worker, wired as in production, tells the member.
    batch = await published_batch(wechat.client, env["bureau"])
    session, code = await claimed_voucher(wechat.client, wechat.svc, batch["id"])
    payload = (await (await wechat.client.get(f"/api/v1/vouchers/{code}/qr", headers=auth(session))).json())["payload"]
    answer = await post_scan(wechat.client, env["scanner"], scan_body(payload, "enrol", env["class"]["id"]))
    assert answer["result"] == "ok"
    async with aiohttp.ClientSession() as http:
        [deliver] = [job for job in build_jobs(wechat.config, wechat.svc, http) if job.name == "deliver"]
        for _ in range(3):  # the notice, then the staff member's template message
            await deliver.run()
    follower = wechat.follower("frontdesk")
    [sent] = wechat.sandbox.sent_to(follower)
    assert sent["template_id"] == wechat.config.wechat_official.staff_template_id
    assert "报名" in "".join(v["value"] for v in sent["data"].values())
    # The notices page says whom it reached.
    r = await wechat.client.get("/api/v1/institution/notices", headers=auth(env["commissioner"]))
    [notice] = (await r.json())["items"]
    assert [(d["to"], d["status"]) for d in notice["deliveries"]] == [("微信（前台）", "已送达")]

    # 解除绑定: the next notice finds nobody.
    await page.locator("#binding-rows button", has_text="解除绑定").click()
    await page.click("#confirm-ok")
    await expect(page.locator("#binding-rows td.empty")).to_be_visible()
    assert failures == []


async def test_a_member_changes_their_password_on_the_page(env, browser):
    failures: list[str] = []
    page = await new_page(browser, failures)
    await portal_login(page, env["base"], f"s{env['institution']['code']}", path="/institution/wechat")
    form = page.locator("#password-form")
    await form.locator("input[name=current_password]").fill(STAFF_PASSWORD)
    await form.locator("input[name=new_password]").fill(NEW_PASSWORD)
    await form.locator("input[name=repeat]").fill(NEW_PASSWORD + "x")
    await form.locator("button[type=submit]").click()
    await expect(page.locator("#notice")).to_have_text("两次输入的新密码不一致")
    await form.locator("input[name=repeat]").fill(NEW_PASSWORD)
    await form.locator("button[type=submit]").click()
    await expect(page.locator("#notice")).to_have_text("密码已修改")
    # The page goes on with its new token; the old password no longer opens the portal.
    await page.reload()
    await expect(page.locator("#app")).to_be_visible()
    assert failures == []
