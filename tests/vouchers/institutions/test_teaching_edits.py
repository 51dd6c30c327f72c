"""The commissioner edits sites, classes and lessons; what has happened stays true."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.factories import auth, bureau, published_batch, regions
from tests.support.institutions import (
    SITE,
    claimed_voucher,
    class_body,
    lesson_now_body,
    post_scan,
    scan_body,
    setup_institution,
    voucher_payload,
)
from vouchers.common.clock import local_date, utcnow

API = "/api/v1"


@pytest.fixture
async def env(client, svc):
    await regions()
    token = await bureau(svc)
    env = await setup_institution(client, token)
    env["bureau"] = token
    return env


async def test_a_site_is_edited_and_measured(client, env):
    site_id = env["site"]["id"]
    edited = SITE | {"name": "新教学楼", "address": "无锡市梁溪区学前街1号", "radius_m": 300}
    r = await client.put(f"{API}/institution/sites/{site_id}", json=edited, headers=auth(env["commissioner"]))
    assert r.status == 200, await r.text()
    assert (await r.json())["address"] == "无锡市梁溪区学前街1号"
    # 测距: the site itself, taken in the other datum, is within a few metres; 1 km north is not.
    from vouchers.scanning.coordinates import gcj02_to_wgs84

    lat, lng = gcj02_to_wgs84(SITE["latitude"], SITE["longitude"])
    here = {"latitude": lat, "longitude": lng, "datum": "wgs84"}
    r = await client.post(f"{API}/institution/sites/{site_id}/distance", json=here, headers=auth(env["scanner"]))
    found = await r.json()
    assert found["distance_m"] < 5 and found["inside"] is True and found["radius_m"] == 300
    north = {"latitude": SITE["latitude"] + 0.009, "longitude": SITE["longitude"], "datum": "gcj02"}
    r = await client.post(f"{API}/institution/sites/{site_id}/distance", json=north, headers=auth(env["scanner"]))
    found = await r.json()
    assert 950 < found["distance_m"] < 1050 and found["inside"] is False
    # Staff read, only the commissioner edits.
    r = await client.put(f"{API}/institution/sites/{site_id}", json=edited, headers=auth(env["scanner"]))
    assert (r.status, (await r.json())["error"]["code"]) == (403, "commissioner_only")


async def test_a_class_edit_keeps_its_lessons_inside_its_dates(client, env):
    class_id, site_id = env["class"]["id"], env["site"]["id"]
    body = class_body([site_id], name="电工班（改）")
    r = await client.put(f"{API}/institution/classes/{class_id}", json=body, headers=auth(env["commissioner"]))
    assert r.status == 200, await r.text()
    assert (await r.json())["name"] == "电工班（改）"
    # Dates that leave today's lesson outside them are refused, with what to do.
    later = class_body([site_id], start_date=(local_date(utcnow()) + timedelta(days=5)).isoformat())
    r = await client.put(f"{API}/institution/classes/{class_id}", json=later, headers=auth(env["commissioner"]))
    error = (await r.json())["error"]
    assert (r.status, error["code"]) == (422, "lesson_outside_class")
    assert "请先修改这些课次" in error["message"]


async def test_capacity_cannot_go_below_the_enrolled(client, svc, env):
    batch = await published_batch(client, env["bureau"])
    for _ in range(2):
        session, code = await claimed_voucher(client, svc, batch["id"])
        payload = await voucher_payload(client, session, code)
        answer = await post_scan(client, env["scanner"], scan_body(payload, "enrol", env["class"]["id"]))
        assert answer["result"] == "ok", answer
    class_id, site_id = env["class"]["id"], env["site"]["id"]
    url = f"{API}/institution/classes/{class_id}"
    r = await client.put(url, json=class_body([site_id], capacity=1), headers=auth(env["commissioner"]))
    error = (await r.json())["error"]
    assert (r.status, error["code"]) == (409, "capacity_below_enrolled")
    assert error["message"] == "已有 2 人报名，人数上限不能小于报名人数"
    r = await client.put(url, json=class_body([site_id], capacity=2), headers=auth(env["commissioner"]))
    assert r.status == 200


async def test_a_lesson_is_edited_within_its_class(client, env):
    class_id, lesson_id = env["class"]["id"], env["lesson"]["id"]
    url = f"{API}/institution/classes/{class_id}/lessons/{lesson_id}"
    r = await client.put(url, json=lesson_now_body(), headers=auth(env["commissioner"]))
    assert r.status == 200, await r.text()
    far = (local_date(utcnow()) + timedelta(days=60)).isoformat()
    r = await client.put(
        url,
        json={"starts_at": f"{far}T09:00:00+08:00", "ends_at": f"{far}T11:00:00+08:00"},
        headers=auth(env["commissioner"]),
    )
    error = (await r.json())["error"]
    assert (r.status, error["code"]) == (422, "lesson_outside_class")
    assert "课次时间须在培训班的开班日期" in error["message"]
    # A window that misses the lesson, in Chinese.
    day = local_date(utcnow()).isoformat()
    r = await client.put(
        url,
        json={
            "starts_at": f"{day}T09:00:00+08:00",
            "ends_at": f"{day}T11:00:00+08:00",
            "checkin_opens_at": f"{day}T12:00:00+08:00",
            "checkin_closes_at": f"{day}T13:00:00+08:00",
        },
        headers=auth(env["commissioner"]),
    )
    assert (await r.json())["error"]["message"] == "输入内容不符合要求：签到时间须与上课时间有重叠"
