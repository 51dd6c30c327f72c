"""教学点 and 培训班 in a real Chromium: the commissioner adds and edits a site (typing coordinates,
then the device's position), measures a distance, opens a class on that site, edits it, adds
lessons and sees one outside the class's dates refused; scanning staff read only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from vouchers.common.clock import local_date, utcnow

try:
    from playwright.async_api import expect
except ImportError:  # reported by the browser fixture
    expect = None  # type: ignore[assignment]

from models import TrainingClass
from tests.support.browser import new_page
from tests.support.factories import auth, bureau, regions
from tests.support.institutions import institution, scanner
from tests.support.portal import portal_login


@pytest.fixture
async def env(client, svc):
    await regions()
    inst, commissioner = await institution(client, await bureau(svc))
    await scanner(client, commissioner, f"s{inst['code']}")
    return {"institution": inst, "commissioner": commissioner, "base": str(client.make_url("")).rstrip("/")}


async def test_commissioner_sets_up_a_site_and_measures(env, browser, client):
    failures: list[str] = []
    context = await browser.new_context(
        geolocation={"latitude": 31.5771, "longitude": 120.2838, "accuracy": 12}, permissions=["geolocation"]
    )
    page = await new_page(context, failures)
    await portal_login(page, env["base"], f"c{env['institution']['code']}", path="/institution/sites")
    await expect(page.locator("#site-rows td.empty")).to_contain_text("请在下方添加第一个教学点")

    form = page.locator("#site-form")
    await form.locator("input[name=name]").fill("梁溪教学点")
    await form.locator("input[name=address]").fill("无锡市梁溪区人民中路1号")
    await form.locator("input[name=latitude]").fill("31.5747")
    await form.locator("input[name=longitude]").fill("120.2889")
    await form.locator("select[name=datum]").select_option("gcj02")
    await form.locator("input[name=radius_m]").fill("200")
    await form.locator("button[type=submit]").click()
    await expect(page.locator("#notice")).to_have_text("已添加教学点“梁溪教学点”")
    await expect(page.locator("#site-rows")).to_contain_text("无锡市梁溪区人民中路1号")
    await expect(form.locator("input[name=name]")).to_have_value("")

    # Edit: the device's own position (WGS-84), a larger radius.
    await page.locator("#site-rows button", has_text="编辑").click()
    await expect(form.locator("input[name=name]")).to_have_value("梁溪教学点")
    await form.locator("button.locate").click()
    await expect(form.locator(".locate-status")).to_contain_text("已填入本机位置")
    await expect(form.locator("select[name=datum]")).to_have_value("wgs84")
    await form.locator("input[name=radius_m]").fill("500")
    await form.locator("button[type=submit]").click()
    await expect(page.locator("#notice")).to_have_text("已保存教学点“梁溪教学点”")
    await expect(page.locator("#site-rows")).to_contain_text("500 米")
    await expect(page.locator("#site-rows")).to_contain_text("WGS-84")

    # 测距: 1 km north is outside, the device's position inside.
    distance = page.locator("#distance-form")
    await distance.locator("select[name=datum]").select_option("wgs84")
    await distance.locator("input[name=latitude]").fill(str(31.5771 + 0.009))
    await distance.locator("input[name=longitude]").fill("120.2838")
    await distance.locator("button[type=submit]").click()
    await expect(page.locator("#distance-result")).to_contain_text("不在签到范围（500 米）内")
    await distance.locator("button.locate").click()
    await expect(distance.locator(".locate-status")).to_contain_text("已填入本机位置")
    await distance.locator("button[type=submit]").click()
    await expect(page.locator("#distance-result")).to_contain_text("距离教学点 0.0 米，在签到范围")
    r = await client.get("/api/v1/institution/sites", headers=auth(env["commissioner"]))
    [site] = (await r.json())["items"]
    assert (site["datum"], site["radius_m"], round(site["latitude"], 4)) == ("wgs84", 500, 31.5771)
    assert failures == []
    await context.close()


async def test_commissioner_opens_a_class_and_adds_lessons(env, browser, client):
    await client.post(
        "/api/v1/institution/sites",
        json={"name": "梁溪教学点", "latitude": 31.57, "longitude": 120.28, "datum": "gcj02", "radius_m": 200},
        headers=auth(env["commissioner"]),
    )
    failures: list[str] = []
    page = await new_page(browser, failures)
    await page.set_viewport_size({"width": 375, "height": 740})
    await portal_login(page, env["base"], f"c{env['institution']['code']}", path="/institution/classes")
    await expect(page.locator("#class-rows td.empty")).to_contain_text("请在下方开设第一个培训班")
    start, end = local_date(utcnow()), local_date(utcnow()) + timedelta(days=20)
    form = page.locator("#class-form")
    await form.locator("input[name=name]").fill("2026年第二期电工培训班")
    await form.locator("input[name=project_type]").fill("就业技能培训")
    await form.locator("input[name=occupation]").fill("电工")
    await form.locator("input[name=start_date]").fill(start.isoformat())
    await form.locator("input[name=end_date]").fill(end.isoformat())
    # Without a site: told in Chinese, nothing sent.
    await form.locator("button[type=submit]").click()
    await expect(page.locator("#notice")).to_have_text("请至少选择一个教学点")
    await form.locator("input[name=site_ids]").first.check()
    await form.locator("button[type=submit]").click()
    await expect(page.locator("#notice")).to_contain_text("已开设培训班“2026年第二期电工培训班”")
    await expect(page.locator("#class-rows")).to_contain_text("0/30")
    await expect(page.locator("#lessons")).to_be_visible()

    # A lesson on the first day, then one after the class ends: refused with the dates.
    lessons = page.locator("#lesson-form")
    await lessons.locator("input[name=day]").fill(start.isoformat())
    await lessons.locator("input[name=starts]").fill("09:00")
    await lessons.locator("input[name=ends]").fill("11:30")
    await lessons.locator("button[type=submit]").click()
    await expect(page.locator("#lesson-rows")).to_contain_text("09:00")
    await expect(page.locator("#lesson-rows")).to_contain_text("08:30 - 09:30")
    await lessons.locator("input[name=day]").fill((end + timedelta(days=3)).isoformat())
    await lessons.locator("button[type=submit]").click()
    refused = f"课次时间须在培训班的开班日期 {start} 至结束日期 {end} 之内"
    await expect(page.locator("#notice.error")).to_contain_text(refused)

    # Edit the class: capacity 40, and places held for online sign-ups.
    await page.locator("#class-rows button", has_text="编辑").click()
    await expect(form.locator("input[name=hold_places_for_signups]")).not_to_be_checked()
    await form.locator("input[name=capacity]").fill("40")
    await form.get_by_label("为线上报名保留名额").check()
    await form.locator("button[type=submit]").click()
    await expect(page.locator("#class-rows")).to_contain_text("0/40")
    held = await TrainingClass.get(name="2026年第二期电工培训班")
    assert (held.capacity, held.hold_places_for_signups) == (40, True)
    await page.locator("#class-rows button", has_text="编辑").click()
    await expect(form.locator("input[name=hold_places_for_signups]")).to_be_checked()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375
    assert failures == []


async def test_scanning_staff_read_classes_and_sites_only(env, browser, client):
    failures: list[str] = []
    page = await new_page(browser, failures)
    await portal_login(page, env["base"], f"s{env['institution']['code']}", path="/institution/classes")
    await expect(page.locator("#class-rows td.empty")).to_contain_text("请联系本机构的机构专员开设")
    await expect(page.locator("#class-form")).to_be_hidden()
    await page.goto(env["base"] + "/institution/sites")
    await expect(page.locator("#site-rows td.empty")).to_contain_text("请联系本机构的机构专员添加")
    await expect(page.locator("#site-form")).to_be_hidden()
    assert failures == []
