"""Location check-in: datum conversion against reference points, the fence rule, and the API."""

from __future__ import annotations

import time

import pytest

from models import Attendance, LocationCheckin, OutboxMessage
from tests.support.factories import auth, bureau, published_batch, regions
from tests.support.institutions import (
    API,
    SITE,
    claimed_voucher,
    post_scan,
    scan_body,
    setup_institution,
    voucher_payload,
)
from vouchers.institutions.notices import notice_text
from vouchers.scanning.coordinates import allowed_m, convert, distance_m, gcj02_to_wgs84, wgs84_to_gcj02

# WGS-84 -> GCJ-02 reference pairs from the test suite of the eviltransform project
# (github.com/googollee/eviltransform, go/transform_test.go), compared there at 5 decimals.
REFERENCE = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),  # Shanghai
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),  # Shenzhen
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),  # Beijing
]


@pytest.mark.parametrize(("wgs", "gcj"), REFERENCE)
def test_gcj02_conversion_matches_reference_points(wgs, gcj):
    lat, lng = wgs84_to_gcj02(*wgs)
    assert (round(lat, 5), round(lng, 5)) == (round(gcj[0], 5), round(gcj[1], 5))
    assert distance_m(*gcj02_to_wgs84(*gcj), *wgs) < 0.05  # the inverse, to a few centimetres
    # The offset is hundreds of metres: enough to break a 200 m fence if ignored.
    assert 100 < distance_m(*wgs, *gcj) < 1000


def test_outside_china_the_datums_agree():
    assert wgs84_to_gcj02(48.8584, 2.2945) == (48.8584, 2.2945)  # Paris
    assert convert(31.0, 121.0, "gcj02", "gcj02") == (31.0, 121.0)


def test_great_circle_distance():
    # One degree of latitude is about 111.2 km on the mean-radius sphere.
    assert distance_m(30.0, 120.0, 31.0, 120.0) == pytest.approx(111_195, rel=1e-4)
    # Beijing Tiananmen to Shanghai People's Square, about 1,067 km.
    assert distance_m(39.9087, 116.3975, 31.2304, 121.4737) == pytest.approx(1_067_000, rel=0.01)
    assert distance_m(31.5, 120.3, 31.5, 120.3) == 0


def test_fence_is_radius_plus_capped_accuracy():
    assert allowed_m(200, 30, 100) == 230
    assert allowed_m(200, 5000, 100) == 300  # a phone claiming a huge accuracy gains only the cap
    assert allowed_m(200, 0, 100) == 200
    assert allowed_m(200, 80, 0) == 200


def _offset_north(lat: float, lng: float, metres: float) -> tuple[float, float]:
    return lat + metres / 111_195, lng


@pytest.fixture
async def env(client, svc):
    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token)
    env = await setup_institution(client, token)
    session, code = await claimed_voucher(client, svc, batch["id"])
    payload = await voucher_payload(client, session, code)
    answer = await post_scan(client, env["scanner"], scan_body(payload, "enrol", env["class"]["id"]))
    assert answer["result"] == "ok"
    r = await client.get(f"{API}/institution/classes/{env['class']['id']}/qr", headers=auth(env["scanner"]))
    env.update(session=session, code=code, class_code=(await r.json())["payload"])
    return env


def _body(env, lat, lng, coord_type="wgs84", accuracy=20.0):
    return {
        "payload": env["class_code"],
        "latitude": lat,
        "longitude": lng,
        "accuracy": accuracy,
        "coord_type": coord_type,
    }


async def test_checkin_from_a_phone_in_the_classroom(client, svc, env):
    # The site is registered in GCJ-02 (read off a Chinese map); the phone reports WGS-84.
    wgs = gcj02_to_wgs84(SITE["latitude"], SITE["longitude"])
    r = await client.post(f"{API}/checkins/location", json=_body(env, *wgs), headers=auth(env["session"]))
    assert r.status == 200, await r.text()
    answer = await r.json()
    assert answer["reason"] is None and answer["distance_m"] < 1 and answer["lesson_id"] == env["lesson"]["id"]
    kept = await LocationCheckin.get()
    assert kept.coord_type == "wgs84" and kept.inside
    assert (kept.latitude, kept.longitude) == pytest.approx(wgs)
    assert (kept.site_latitude, kept.site_longitude) == pytest.approx((SITE["latitude"], SITE["longitude"]), abs=1e-6)
    [attendance] = await Attendance.all()
    assert attendance.method == "location" and attendance.location_checkin_id == kept.id
    # Again: already checked in, not an error; the staff scan agrees.
    r = await client.post(f"{API}/checkins/location", json=_body(env, *wgs), headers=auth(env["session"]))
    assert (await r.json())["reason"] == "already_checked_in"
    payload = await voucher_payload(client, env["session"], env["code"])
    answer = await post_scan(client, env["scanner"], scan_body(payload, "checkin", env["class"]["id"]))
    assert answer["reason"] == "already_checked_in"


async def test_unconverted_coordinates_would_miss_the_fence(client, svc, env):
    """The site's own GCJ-02 numbers sent as WGS-84 are some 500 m off in Wuxi: refused."""
    body = _body(env, SITE["latitude"], SITE["longitude"], coord_type="wgs84")
    r = await client.post(f"{API}/checkins/location", json=body, headers=auth(env["session"]))
    assert r.status == 409
    error = (await r.json())["error"]
    assert error["code"] == "outside_fence" and 300 < error["distance_m"] < 1000 and error["allowed_m"] == 220
    # The same numbers declared as GCJ-02 are right at the site.
    body["coord_type"] = "gcj02"
    r = await client.post(f"{API}/checkins/location", json=body, headers=auth(env["session"]))
    assert r.status == 200


async def test_outside_the_fence_keeps_the_attempt_and_tells_the_institution(client, svc, env):
    lat, lng = _offset_north(SITE["latitude"], SITE["longitude"], 260)
    # 260 m from a 200 m site: inside with an accuracy of 80 m, outside with 20 m.
    r = await client.post(
        f"{API}/checkins/location", json=_body(env, lat, lng, "gcj02", 20), headers=auth(env["session"])
    )
    assert r.status == 409 and (await r.json())["error"]["distance_m"] == 260
    [notice] = await OutboxMessage.filter(kind="institution_anomaly")
    assert notice.payload["anomaly"] == "outside_fence" and notice.payload["institution_id"] == env["institution"]["id"]
    # The staff read the class and the site by name, not by number.
    _, text = notice_text(notice.kind, notice.payload)
    assert text.startswith(f"{env['class']['name']} 有学员") and f"在{SITE['name']}范围外" in text
    # A huge claimed accuracy only gains the cap (100 m): 400 m away is still outside.
    far = _offset_north(SITE["latitude"], SITE["longitude"], 400)
    r = await client.post(
        f"{API}/checkins/location", json=_body(env, *far, "gcj02", 5000), headers=auth(env["session"])
    )
    assert r.status == 409
    assert await Attendance.all().count() == 0
    r = await client.post(
        f"{API}/checkins/location", json=_body(env, lat, lng, "gcj02", 80), headers=auth(env["session"])
    )
    assert r.status == 200
    kept = await LocationCheckin.all().order_by("id").values_list("inside", "distance_m", "accuracy_m")
    assert [(k[0], round(k[1]), k[2]) for k in kept] == [(False, 260, 20), (False, 400, 5000), (True, 260, 80)]


async def test_a_stale_class_code_or_a_stranger_is_refused(client, svc, env):
    from vouchers.qr import codes as qr

    stale = qr.sign(svc.qr, qr.CLASS, str(env["class"]["id"]), now=time.time() - 300).payload
    body = _body(env, SITE["latitude"], SITE["longitude"], "gcj02") | {"payload": stale}
    r = await client.post(f"{API}/checkins/location", json=body, headers=auth(env["session"]))
    assert (await r.json())["error"]["code"] == "qr_stale"
    from tests.support.factories import trainee

    _, stranger = await trainee(svc)
    body = _body(env, SITE["latitude"], SITE["longitude"], "gcj02")
    r = await client.post(f"{API}/checkins/location", json=body, headers=auth(stranger))
    assert (await r.json())["error"]["code"] == "not_enrolled"
    body["coord_type"] = "bd09"
    r = await client.post(f"{API}/checkins/location", json=body, headers=auth(env["session"]))
    assert r.status == 422
