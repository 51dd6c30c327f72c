"""The institution registry, staff management, sites, classes and lessons, through the API."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.support.factories import auth, bad_check_digit, bureau, id_number, regions
from tests.support.institutions import (
    API,
    STAFF_PASSWORD,
    class_body,
    institution,
    institution_body,
    scanner,
    site,
    staff_login,
    training_class,
)


async def _bureau(client, svc, username="wuxi", region="320200") -> str:
    await regions()
    return await bureau(svc, username, region)


async def test_registry_keeps_every_field_and_masks_the_commissioner(client, svc):
    token = await _bureau(client, svc)
    number = id_number()
    body = institution_body()
    body["commissioner"]["id_number"] = number
    r = await client.post(f"{API}/admin/institutions", json=body, headers=auth(token))
    assert r.status == 201, await r.text()
    got = await r.json()
    for key in ("code", "name", "region", "address", "phone", "kind"):
        assert got[key] == body[key]
    assert got["commissioner"] == {
        "username": body["commissioner"]["username"],
        "name": "张*丰",
        "id_number": number[:4] + "*" * 10 + number[-4:],
    }
    listed = await (await client.get(f"{API}/admin/institutions", headers=auth(token))).json()
    assert [i["code"] for i in listed["items"]] == [body["code"]]
    # The commissioner logs in with the role that manages staff.
    r = await client.post(
        f"{API}/institution/login", json={"username": body["commissioner"]["username"], "password": STAFF_PASSWORD}
    )
    assert (await r.json())["role"] == "commissioner"


async def test_registry_refuses_bad_codes_duplicates_and_bad_id_numbers(client, svc):
    token = await _bureau(client, svc)
    for code in ("123456", "12345678", "12a4567", "１２３４５６７"):
        r = await client.post(f"{API}/admin/institutions", json=institution_body(code=code), headers=auth(token))
        assert r.status == 422, code
    first = institution_body()
    assert (await client.post(f"{API}/admin/institutions", json=first, headers=auth(token))).status == 201
    again = institution_body(code=first["code"])
    r = await client.post(f"{API}/admin/institutions", json=again, headers=auth(token))
    assert r.status == 409 and (await r.json())["error"]["code"] == "institution_code_taken"
    same_user = institution_body()
    same_user["commissioner"]["username"] = first["commissioner"]["username"]
    r = await client.post(f"{API}/admin/institutions", json=same_user, headers=auth(token))
    assert r.status == 409 and (await r.json())["error"]["code"] == "username_taken"
    bad = institution_body()
    bad["commissioner"]["id_number"] = bad_check_digit(id_number())
    r = await client.post(f"{API}/admin/institutions", json=bad, headers=auth(token))
    assert r.status == 422 and (await r.json())["error"]["code"] == "invalid_id_number"


async def test_bureau_registers_and_sees_only_its_own_region(client, svc):
    wuxi = await _bureau(client, svc)
    chongqing = await bureau(svc, "chongqing", "500000")
    r = await client.post(f"{API}/admin/institutions", json=institution_body(region="500101"), headers=auth(wuxi))
    assert r.status == 403 and (await r.json())["error"]["code"] == "out_of_region"
    inst, _ = await institution(client, wuxi, region="320281")  # Jiangyin, below Wuxi
    assert (await client.get(f"{API}/admin/institutions/{inst['id']}", headers=auth(wuxi))).status == 200
    assert (await client.get(f"{API}/admin/institutions/{inst['id']}", headers=auth(chongqing))).status == 404
    listed = await (await client.get(f"{API}/admin/institutions", headers=auth(chongqing))).json()
    assert listed["items"] == []


async def test_commissioner_manages_scanners_and_a_disabled_token_stops_at_once(client, svc):
    token = await _bureau(client, svc)
    _, commissioner = await institution(client, token)
    member, scan_token = await scanner(client, commissioner, "frontdesk")
    assert (await client.get(f"{API}/institution/sites", headers=auth(scan_token))).status == 200
    # A scanner cannot manage staff.
    r = await client.post(
        f"{API}/institution/staff",
        json={"username": "sneaky", "password": STAFF_PASSWORD},
        headers=auth(scan_token),
    )
    assert r.status == 403 and (await r.json())["error"]["code"] == "commissioner_only"
    r = await client.post(f"{API}/institution/staff/{member['id']}/disable", headers=auth(commissioner))
    assert r.status == 200 and (await r.json())["active"] is False
    r = await client.get(f"{API}/institution/sites", headers=auth(scan_token))
    assert r.status == 401
    # The member with the right password is told why (issue 19): the account is disabled.
    r = await client.post(f"{API}/institution/login", json={"username": "frontdesk", "password": STAFF_PASSWORD})
    assert r.status == 403 and (await r.json())["error"]["code"] == "staff_disabled"
    await client.post(f"{API}/institution/staff/{member['id']}/enable", headers=auth(commissioner))
    fresh = await staff_login(client, "frontdesk")
    # Removal ends the login too, and the member disappears from the list.
    assert (await client.delete(f"{API}/institution/staff/{member['id']}", headers=auth(commissioner))).status == 200
    assert (await client.get(f"{API}/institution/sites", headers=auth(fresh))).status == 401
    staff = await (await client.get(f"{API}/institution/staff", headers=auth(commissioner))).json()
    assert [s["role"] for s in staff["items"]] == ["commissioner"]


async def test_logout_ends_every_token_of_the_staff_member_only(client, svc):
    token = await _bureau(client, svc)
    _, commissioner = await institution(client, token)
    _, desk = await scanner(client, commissioner, "desk-one")
    copied = await staff_login(client, "desk-one")  # the same member on a second device
    _, other = await scanner(client, commissioner, "desk-two")
    r = await client.post(f"{API}/institution/logout", headers=auth(desk))
    assert r.status == 200 and await r.json() == {"ok": True}
    for ended in (desk, copied):
        r = await client.get(f"{API}/institution/sites", headers=auth(ended))
        assert r.status == 401 and (await r.json())["error"]["code"] == "unauthenticated"
    assert (await client.get(f"{API}/institution/sites", headers=auth(other))).status == 200
    fresh = await staff_login(client, "desk-one")
    assert (await client.get(f"{API}/institution/sites", headers=auth(fresh))).status == 200


async def test_an_institution_cannot_touch_another_institutions_staff_sites_or_classes(client, svc):
    token = await _bureau(client, svc)
    _, first = await institution(client, token)
    _, second = await institution(client, token)
    member, _ = await scanner(client, first, "first-desk")
    their_site = await site(client, first)
    their_class = await training_class(client, first, [their_site["id"]])
    r = await client.post(f"{API}/institution/staff/{member['id']}/disable", headers=auth(second))
    assert r.status == 404
    r = await client.get(f"{API}/institution/classes/{their_class['id']}", headers=auth(second))
    assert r.status == 404
    r = await client.post(f"{API}/institution/classes", json=class_body([their_site["id"]]), headers=auth(second))
    assert r.status == 404 and (await r.json())["error"]["code"] == "site_not_found"
    assert (await (await client.get(f"{API}/institution/classes", headers=auth(second))).json())["items"] == []


async def test_sites_classes_and_lessons(client, svc):
    token = await _bureau(client, svc)
    _, commissioner = await institution(client, token)
    r = await client.post(
        f"{API}/institution/sites",
        json={"name": "x", "latitude": 91, "longitude": 120, "datum": "gcj02", "radius_m": 200},
        headers=auth(commissioner),
    )
    assert r.status == 422
    r = await client.post(
        f"{API}/institution/sites",
        json={"name": "x", "latitude": 31.5, "longitude": 120.3, "datum": "bd09", "radius_m": 200},
        headers=auth(commissioner),
    )
    assert r.status == 422
    s = await site(client, commissioner, datum="wgs84")
    assert s["datum"] == "wgs84" and s["radius_m"] == 200
    body = class_body([s["id"]], start_date="2026-05-02", end_date="2026-05-01")
    assert (await client.post(f"{API}/institution/classes", json=body, headers=auth(commissioner))).status == 422
    c = await training_class(client, commissioner, [s["id"]], capacity=2)
    assert c["capacity"] == 2 and c["enrolled"] == 0 and c["site_ids"] == [s["id"]]
    start = datetime.fromisoformat(f"{c['start_date']}T09:00:00+08:00")  # within the class's dates
    r = await client.post(
        f"{API}/institution/classes/{c['id']}/lessons",
        json={"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=3)).isoformat()},
        headers=auth(commissioner),
    )
    assert r.status == 201, await r.text()
    lesson = await r.json()
    # The default check-in window: from 30 minutes before the start to 30 minutes after.
    assert datetime.fromisoformat(lesson["checkin_opens_at"]) == start - timedelta(minutes=30)
    assert datetime.fromisoformat(lesson["checkin_closes_at"]) == start + timedelta(minutes=30)
    r = await client.post(
        f"{API}/institution/classes/{c['id']}/lessons",
        json={"starts_at": "2026-06-01T09:00:00", "ends_at": "2026-06-01T12:00:00"},
        headers=auth(commissioner),
    )
    assert r.status == 422  # no time zone: ambiguous
    listed = await (await client.get(f"{API}/institution/classes/{c['id']}/lessons", headers=auth(commissioner))).json()
    assert [x["id"] for x in listed["items"]] == [lesson["id"]]
