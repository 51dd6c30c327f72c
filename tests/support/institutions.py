"""Builders for institution test data, through the API as the bureau and a commissioner would."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from miniapp_api.scans import ScanAnswer
from peixunquan.appkeys import SERVICES
from tests.support.factories import auth, id_number
from vouchers.common.clock import local_date, utcnow

API = "/api/v1"
_codes = itertools.count(3_200_001)
STAFF_PASSWORD = "scan-gun password"
# A teaching site in Wuxi (GCJ-02, as read off a Chinese map).
SITE = {"name": "无锡技师学院教学楼", "latitude": 31.5747, "longitude": 120.2889, "datum": "gcj02", "radius_m": 200}


def institution_body(**overrides: Any) -> dict[str, Any]:
    code = str(next(_codes))
    body: dict[str, Any] = {
        "code": code,
        "name": f"无锡市第{code[-3:]}职业培训学校",
        "region": "320200",
        "address": "无锡市梁溪区人民中路1号",
        "phone": "0510-12345678",
        "kind": "民办职业培训学校",
        "commissioner": {
            "name": "张三丰",
            "id_number": id_number(),
            "username": f"c{code}",
            "password": STAFF_PASSWORD,
        },
    }
    body.update(overrides)
    return body


async def staff_login(client, username: str, password: str = STAFF_PASSWORD) -> str:
    r = await client.post(f"{API}/institution/login", json={"username": username, "password": password})
    assert r.status == 200, await r.text()
    return (await r.json())["token"]


async def institution(client, bureau_token: str, **overrides: Any) -> tuple[dict[str, Any], str]:
    """A registered institution and its commissioner's token."""
    body = institution_body(**overrides)
    r = await client.post(f"{API}/admin/institutions", json=body, headers=auth(bureau_token))
    assert r.status == 201, await r.text()
    return await r.json(), await staff_login(client, body["commissioner"]["username"])


async def scanner(client, commissioner_token: str, username: str) -> tuple[dict[str, Any], str]:
    r = await client.post(
        f"{API}/institution/staff",
        json={"username": username, "password": STAFF_PASSWORD, "display_name": "前台"},
        headers=auth(commissioner_token),
    )
    assert r.status == 201, await r.text()
    return await r.json(), await staff_login(client, username)


async def site(client, token: str, **overrides: Any) -> dict[str, Any]:
    r = await client.post(f"{API}/institution/sites", json=SITE | overrides, headers=auth(token))
    assert r.status == 201, await r.text()
    return await r.json()


def class_body(site_ids: list[int], **overrides: Any) -> dict[str, Any]:
    today = local_date(utcnow())
    body = {
        "name": "2026年第一期电工培训班",
        "project_type": "就业技能培训",
        "occupation": "电工",
        "start_date": (today - timedelta(days=1)).isoformat(),
        "end_date": (today + timedelta(days=30)).isoformat(),
        "site_ids": site_ids,
        "capacity": 30,
    }
    body.update(overrides)
    return body


async def training_class(client, token: str, site_ids: list[int], **overrides: Any) -> dict[str, Any]:
    r = await client.post(f"{API}/institution/classes", json=class_body(site_ids, **overrides), headers=auth(token))
    assert r.status == 201, await r.text()
    return await r.json()


def lesson_now_body(**overrides: Any) -> dict[str, Any]:
    """A lesson whose check-in window is open right now."""
    now = datetime.now(UTC)
    body = {"starts_at": (now + timedelta(minutes=10)).isoformat(), "ends_at": (now + timedelta(hours=2)).isoformat()}
    body.update(overrides)
    return body


async def lesson(client, token: str, class_id: int, **overrides: Any) -> dict[str, Any]:
    r = await client.post(
        f"{API}/institution/classes/{class_id}/lessons", json=lesson_now_body(**overrides), headers=auth(token)
    )
    assert r.status == 201, await r.text()
    return await r.json()


async def setup_institution(client, bureau_token: str) -> dict[str, Any]:
    """An institution with a commissioner, a scanner, one site, one class with a lesson open now."""
    inst, commissioner = await institution(client, bureau_token)
    _, scanner_token = await scanner(client, commissioner, f"s{inst['code']}")
    s = await site(client, commissioner)
    c = await training_class(client, commissioner, [s["id"]])
    lesson_row = await lesson(client, commissioner, c["id"])
    return {
        "institution": inst,
        "commissioner": commissioner,
        "scanner": scanner_token,
        "site": s,
        "class": c,
        "lesson": lesson_row,
    }


async def institution_targets(client, bureau_token: str) -> dict[tuple[str, str], tuple[dict[str, str], Any]]:
    """Every institution endpoint that takes a JSON body, with valid credentials and body (for
    tests/miniapp_api/test_http_errors.py, which checks that garbage gets a clean 4xx everywhere)."""
    from tests.support.factories import trainee

    env = await setup_institution(client, bureau_token)
    commissioner = auth(env["commissioner"])
    _, session = await trainee(client.app[SERVICES])
    class_id = env["class"]["id"]
    member, _ = await scanner(client, env["commissioner"], f"m{env['institution']['code']}")
    return {
        ("POST", f"{API}/admin/institutions"): (auth(bureau_token), institution_body()),
        ("POST", f"{API}/institution/login"): ({}, {"username": "nobody", "password": "whatever-password"}),
        ("POST", f"{API}/institution/staff"): (
            commissioner,
            {"username": "another", "password": STAFF_PASSWORD, "display_name": "x"},
        ),
        ("POST", f"{API}/institution/staff/{member['id']}/password"): (commissioner, {"password": STAFF_PASSWORD}),
        ("POST", f"{API}/institution/password"): (
            auth(env["scanner"]),
            {"current_password": STAFF_PASSWORD, "new_password": STAFF_PASSWORD},
        ),
        ("POST", f"{API}/institution/sites"): (commissioner, SITE),
        ("PUT", f"{API}/institution/sites/{env['site']['id']}"): (commissioner, SITE),
        ("POST", f"{API}/institution/sites/{env['site']['id']}/distance"): (
            commissioner,
            {"latitude": 31.5, "longitude": 120.3, "datum": "gcj02"},
        ),
        ("PUT", f"{API}/institution/classes/{class_id}"): (commissioner, class_body([env["site"]["id"]])),
        ("PUT", f"{API}/institution/classes/{class_id}/lessons/{env['lesson']['id']}"): (
            commissioner,
            lesson_now_body(),
        ),
        ("POST", f"{API}/institution/classes"): (commissioner, class_body([env["site"]["id"]])),
        ("POST", f"{API}/institution/classes/{class_id}/lessons"): (commissioner, lesson_now_body()),
        ("POST", f"{API}/institution/classes/{class_id}/attendance/manual"): (
            auth(env["scanner"]),
            {"lesson_id": env["lesson"]["id"], "voucher_code": "AAAAAAAAAAAAAAAA", "reason": "手机没电"},
        ),
        ("POST", f"{API}/scans/offline"): (
            auth(env["scanner"]),
            {
                "device": "离线扫码枪",
                "scans": [{k: v for k, v in scan_body("PXQ1.V.X.1.K.A", "verify").items() if k != "device"}],
            },
        ),
        ("POST", f"{API}/scans"): (auth(env["scanner"]), scan_body("PXQ1.V.X.1.K.A", "verify")),
        ("POST", f"{API}/checkins/location"): (
            auth(session),
            {"payload": "PXQ1.C.1.1.K.A", "latitude": 31.5, "longitude": 120.3, "accuracy": 10, "coord_type": "gcj02"},
        ),
    }


async def claimed_voucher(client, svc, batch_id: int, **trainee_kwargs: Any) -> tuple[str, str]:
    """A verified trainee who claimed a voucher of the batch: (session token, voucher code)."""
    from tests.support.factories import trainee

    _, session = await trainee(svc, **trainee_kwargs)
    r = await client.post(f"{API}/claims", json={"batch_id": batch_id}, headers=auth(session))
    assert r.status == 201, await r.text()
    return session, (await r.json())["code"]


async def voucher_payload(client, session: str, code: str) -> str:
    r = await client.get(f"{API}/vouchers/{code}/qr", headers=auth(session))
    assert r.status == 200, await r.text()
    return (await r.json())["payload"]


_nonces = itertools.count(1)


def scan_body(payload: str, action: str, class_id: int | None = None, **overrides: Any) -> dict[str, Any]:
    body = {
        "payload": payload,
        "action": action,
        "class_id": class_id,
        "nonce": f"nonce-{next(_nonces):08d}",
        "scanned_at": datetime.now(UTC).isoformat(),
        "device": "扫码枪-01",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


async def post_scan(client, token: str, body: dict[str, Any]) -> dict[str, Any]:
    r = await client.post(f"{API}/scans", json=body, headers=auth(token))
    assert r.status == 200, await r.text()
    answer = await r.json()
    # The handler sends the use case's JSON as is: hold it to the schema the API publishes.
    assert set(answer) <= set(ScanAnswer.model_fields), set(answer) - set(ScanAnswer.model_fields)
    ScanAnswer.model_validate(answer, strict=False)
    return answer
