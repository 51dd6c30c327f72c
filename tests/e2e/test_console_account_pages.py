"""Accounts in the console, in a real headless Chromium: a clerk's repeated wrong passwords lock
the account, the administrator sees the lock in the list and the log and lifts it, resets the
password; the clerk is told of the lock at the next login and changes the password on 我的账号."""

from __future__ import annotations

from tests.support.browser import new_page
from tests.support.console import console_login
from tests.support.factories import bureau, regions

try:
    from playwright.async_api import expect
except ImportError:  # the browser fixture skips with the reason
    expect = None  # type: ignore[assignment]

RESET = "reset password 2026"
OWN = "my own password 2026"


async def test_a_locked_clerk_is_unlocked_reset_and_changes_the_password(client, svc, browser):
    await regions()
    await bureau(svc)
    await bureau(svc, "wang", role="viewer")
    failures: list[str] = []

    # Wrong passwords at the login form, until the account locks: said in Chinese.
    clerk = await new_page(browser, failures)
    await clerk.goto(str(client.make_url("/console")))
    for _ in range(svc.login_throttle.limits.max_failures + 1):
        await clerk.fill("#login input[name=username]", "wang")
        await clerk.fill("#login input[name=password]", "not the password")
        await clerk.click("#login button[type=submit]")
        await expect(clerk.locator("#login-error")).not_to_be_empty()
        text = await clerk.locator("#login-error").inner_text()
        await clerk.evaluate("document.getElementById('login-error').textContent = ''")
    assert text == "登录失败次数过多，请稍后再试；如需立即解锁，请联系管理员"

    admin = await console_login(browser, client, failures, "wuxi", "/console/accounts")
    row = admin.locator("#account-rows tr[data-account=wang]")
    await expect(row.locator(".status")).to_have_text("正常（登录已锁定）")
    locked = admin.locator("#event-rows tr").first
    await expect(locked).to_contain_text("系统")
    await expect(locked).to_contain_text("登录锁定（连续输错密码）")
    await expect(locked).to_contain_text(f"连续 {svc.login_throttle.limits.max_failures} 次密码错误")
    await row.get_by_role("button", name="解除锁定").click()
    await expect(admin.locator("#notice")).to_have_text("已解除 wang 的登录锁定")
    await expect(row.locator(".status")).to_have_text("正常")
    # A short new password is refused on the page; a good one after a confirmation.
    await row.locator("input[type=password]").fill("short")
    await row.get_by_role("button", name="重置密码").click()
    await expect(admin.locator("#notice")).to_have_text("新密码至少 10 位")
    await row.locator("input[type=password]").fill(RESET)
    await row.get_by_role("button", name="重置密码").click()
    await expect(admin.locator("#confirm-text")).to_contain_text("重置 wang 的密码？")
    await admin.click("#confirm-ok")
    await expect(admin.locator("#notice")).to_contain_text("已重置 wang 的密码")
    await expect(admin.locator("#event-rows tr").first).to_contain_text("重置密码")

    # The clerk logs in with it and is told of the lock, then changes the password.
    await clerk.fill("#login input[name=username]", "wang")
    await clerk.fill("#login input[name=password]", RESET)
    await clerk.click("#login button[type=submit]")
    await expect(clerk.locator("#notice")).to_contain_text("因连续")
    await expect(clerk.locator("#notice")).to_contain_text("被临时锁定")
    await clerk.goto(str(client.make_url("/console/me")))
    await expect(clerk.locator("#me-summary")).to_contain_text("统计查询员")
    form = clerk.locator("#password-form")
    await form.locator("input[name=current_password]").fill(RESET)
    await form.locator("input[name=new_password]").fill(OWN)
    await form.locator("input[name=again]").fill(OWN + "x")
    await form.get_by_role("button", name="修改密码").click()
    await expect(clerk.locator("#notice")).to_have_text("两次输入的新密码不一致")
    await form.locator("input[name=current_password]").fill("wrong current password")
    await form.locator("input[name=again]").fill(OWN)
    await form.get_by_role("button", name="修改密码").click()
    await expect(clerk.locator("#notice")).not_to_have_text("两次输入的新密码不一致")
    refused = await clerk.locator("#notice").inner_text()
    assert "密码" in refused and not any(c.isascii() and c.isalpha() for c in refused), refused
    await form.locator("input[name=current_password]").fill(RESET)
    await form.get_by_role("button", name="修改密码").click()
    await expect(clerk.locator("#notice")).to_have_text("密码已修改。其他设备上的登录已退出。")
    # This tab goes on; the new password is the one that works.
    await clerk.goto(str(client.make_url("/console/statistics")))
    await clerk.wait_for_selector("#app:not([hidden])")
    r = await client.post("/api/v1/admin/login", json={"username": "wang", "password": OWN})
    assert r.status == 200
    await expect(admin.locator("#event-rows tr").first).to_contain_text("重置密码")
    assert failures == []
