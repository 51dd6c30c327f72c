"""Builders for online platform tests: a registered platform, and a platform's side of the signed
requests, written from docs/online-platforms.md with hashlib and hmac (not the project's signer).
Also the body endpoints for tests/miniapp_api/test_http_errors.py."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

from tests.support.factories import auth
from tests.support.institutions import claimed_voucher, voucher_payload
from vouchers.common.clock import local_date, utcnow

API = "/api/v1"
_codes = itertools.count(3_290_001)
STANDARD = {"region": "320200", "project_type": "就业技能培训", "occupation": "电工", "amount_fen": 120_000}


def platform_body(**overrides: Any) -> dict[str, Any]:
    code = str(next(_codes))
    body: dict[str, Any] = {
        "code": code,
        "name": f"无锡在线职业培训平台{code[-3:]}",
        "region": "320200",
        "address": "无锡市新吴区菱湖大道200号",
        "phone": "0510-87654321",
        "project_types": ["就业技能培训"],
        "occupations": ["电工"],
    }
    body.update(overrides)
    return body


def course_body(**overrides: Any) -> dict[str, Any]:
    today = local_date(utcnow())
    body: dict[str, Any] = {
        "name": "低压电工线上实操课",
        "project_type": "就业技能培训",
        "occupation": "电工",
        "start_date": (today - timedelta(days=1)).isoformat(),
        "end_date": (today + timedelta(days=60)).isoformat(),
        "capacity": 100,
        "required_hours": 3,
    }
    body.update(overrides)
    return body


@dataclass
class Platform:
    """The platform's own client: its code, its key and secret, and how it signs."""

    client: Any
    code: str
    key_id: str
    secret: str
    id: int = 0

    def headers(
        self,
        method: str,
        path: str,
        query: dict[str, str] | None = None,
        body: bytes = b"",
        *,
        timestamp: int | None = None,
        nonce: str | None = None,
        key_id: str | None = None,
        secret: str | None = None,
    ) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        nonce = nonce or secrets.token_hex(12)
        key_id = key_id or self.key_id

        def enc(text: str) -> str:
            return quote(text, safe="-._~")

        canonical_query = "&".join(f"{k}={v}" for k, v in sorted((enc(k), enc(v)) for k, v in (query or {}).items()))
        lines = [
            "PXQ-HMAC-SHA256",
            method.upper(),
            path,
            canonical_query,
            self.code,
            key_id,
            ts,
            nonce,
            hashlib.sha256(body).hexdigest(),
        ]
        mac = hmac.new((secret or self.secret).encode("ascii"), "\n".join(lines).encode(), hashlib.sha256)
        return {
            "X-Pxq-Platform": self.code,
            "X-Pxq-Key-Id": key_id,
            "X-Pxq-Timestamp": ts,
            "X-Pxq-Nonce": nonce,
            "X-Pxq-Signature": mac.hexdigest(),
            "Content-Type": "application/json",
        }

    async def call(self, method: str, path: str, body: Any = None, query: dict[str, str] | None = None, **sign: Any):
        raw = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        url = path + ("?" + urlencode(query) if query else "")
        return await self.client.request(method, url, data=raw, headers=self.headers(method, path, query, raw, **sign))

    async def ok(self, method: str, path: str, body: Any = None, query: dict[str, str] | None = None) -> Any:
        r = await self.call(method, path, body, query)
        assert r.status == 200, await r.text()
        return await r.json()


async def register(client, bureau_token: str, **overrides: Any) -> tuple[Platform, dict[str, Any]]:
    r = await client.post(f"{API}/admin/platforms", json=platform_body(**overrides), headers=auth(bureau_token))
    assert r.status == 201, await r.text()
    out = await r.json()
    return Platform(client, out["code"], out["key"]["key_id"], out["key"]["secret"], out["id"]), out


async def course(platform: Platform, code: str = "ELEC-101", **overrides: Any) -> dict[str, Any]:
    return await platform.ok("PUT", f"{API}/platform/courses/{code}", course_body(**overrides))


async def presented(client, svc, batch_id: int, **trainee: Any) -> tuple[str, str, str]:
    """A trainee who claimed a voucher: (session, voucher code, the rotating code they present)."""
    session, code = await claimed_voucher(client, svc, batch_id, **trainee)
    return session, code, await voucher_payload(client, session, code)


async def platform_targets(client, bureau_token: str) -> dict[tuple[str, str], tuple[dict[str, str], Any]]:
    """The body endpoints of the platform registry and of the platform API. A platform's headers
    sign one body: any other body is refused at the signature (still a 4xx); the signed bodies of
    every kind are tried in tests/miniapp_api/test_platform_bodies.py."""
    platform, out = await register(client, bureau_token)
    h = auth(bureau_token)

    def signed(method: str, path: str, body: dict[str, Any]) -> tuple[tuple[str, str], tuple[dict[str, str], Any]]:
        raw = json.dumps(body, ensure_ascii=False).encode()
        return (method, path), (platform.headers(method, path, None, raw), body)

    progress = {"report_id": "r-1", "voucher": "A" * 16, "course": "C1", "unit": "第一章", "hours": 1.5}
    completion = {"voucher": "A" * 16, "course": "C1", "passed": True, "certificate_kind": "职业技能等级证书"}
    return dict(
        [
            (("POST", f"{API}/admin/platforms"), (h, platform_body())),
            (("PUT", f"{API}/admin/platforms/{out['id']}/scope"), (h, {"project_types": ["创业培训"]})),
            signed("PUT", f"{API}/platform/courses/C1", course_body()),
            signed("POST", f"{API}/platform/vouchers/verify", {"code": "PXQ1.V.X.1.K.A", "course": "C1"}),
            signed("POST", f"{API}/platform/enrolments", {"code": "PXQ1.V.X.1.K.A", "course": "C1"}),
            signed("POST", f"{API}/platform/progress", progress),
            signed("POST", f"{API}/platform/completions", completion),
        ]
    )


async def platform_env(client, svc, **batch: Any) -> dict[str, Any]:
    """A Wuxi batch for electricians (500 yuan face value), the subsidy standard, a platform with
    the course ELEC-101 (3 hours), and a trainee who claimed a voucher and shows its code."""
    from tests.support.factories import bureau, published_batch, regions

    await regions()
    token = await bureau(svc)
    b = await published_batch(client, token, **batch)
    r = await client.put(f"{API}/admin/settlement/standards", json=STANDARD, headers=auth(token))
    assert r.status == 200, await r.text()
    platform, out = await register(client, token)
    await course(platform)
    session, code, payload = await presented(client, svc, b["id"])
    return {
        "bureau": token,
        "batch": b,
        "platform": platform,
        "registered": out,
        "session": session,
        "voucher": code,
        "payload": payload,
    }
