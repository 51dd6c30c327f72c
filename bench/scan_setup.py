"""The scan benchmark's data and checks: trainees with claimed vouchers (through the API), an
institution with scanning staff, a class with a lesson open now, every voucher enrolled; then
what the database holds twice that it should hold once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp

from bench.harness.fixtures import (
    REGION,
    bench_id_number,
    bureau_login,
    call_api,
    publish_batch,
    seed_bureau_and_trainees,
)
from bench.harness.stores import driver_dsn

STAFF_PASSWORD = "bench-staff-password"


@dataclass(frozen=True)
class ScanSite:
    codes: list[str]  # one claimed voucher per trainee
    staff_tokens: list[str]
    class_id: int


async def load_data(env: dict[str, str], base: str, trainees: int, scanners: int) -> ScanSite:
    tokens = await seed_bureau_and_trainees(env, trainees)
    async with aiohttp.ClientSession() as http:

        async def call(method: str, path: str, body: object = None, token: str | None = None) -> dict:
            return await call_api(http, base, method, path, body, token)

        batch_id = await publish_batch(http, base, "压测：扫码批次", trainees)
        semaphore = asyncio.Semaphore(32)

        async def claim(token: str) -> str:
            async with semaphore:
                return (await call("POST", "/api/v1/claims", {"batch_id": batch_id}, token))["code"]

        codes = await asyncio.gather(*(claim(t) for t in tokens))
        bureau = await bureau_login(http, base)
        await call(
            "POST",
            "/api/v1/admin/institutions",
            {
                "code": "3202001",
                "name": "压测职业培训学校",
                "region": REGION,
                "address": "无锡市",
                "phone": "0510-1234567",
                "kind": "民办职业培训学校",
                "commissioner": {
                    "name": "压测专员",
                    "id_number": bench_id_number(trainees + 1),
                    "username": "bench-commissioner",
                    "password": STAFF_PASSWORD,
                },
            },
            bureau,
        )

        async def staff_login(username: str) -> str:
            answer = await call("POST", "/api/v1/institution/login", {"username": username, "password": STAFF_PASSWORD})
            return answer["token"]

        commissioner = await staff_login("bench-commissioner")
        staff_tokens = []
        for i in range(scanners):
            body = {"username": f"bench-scanner-{i}", "password": STAFF_PASSWORD}
            await call("POST", "/api/v1/institution/staff", body, commissioner)
            staff_tokens.append(await staff_login(f"bench-scanner-{i}"))
        site = await call(
            "POST",
            "/api/v1/institution/sites",
            {"name": "教学楼", "latitude": 31.5747, "longitude": 120.2889, "datum": "gcj02", "radius_m": 200},
            commissioner,
        )
        today = datetime.now(UTC).date()
        klass = await call(
            "POST",
            "/api/v1/institution/classes",
            {
                "name": "压测电工班",
                "project_type": "就业技能培训",
                "occupation": "电工",
                "start_date": (today - timedelta(days=1)).isoformat(),
                "end_date": (today + timedelta(days=30)).isoformat(),
                "site_ids": [site["id"]],
                "capacity": trainees,
            },
            commissioner,
        )
        now = datetime.now(UTC)
        await call(
            "POST",
            f"/api/v1/institution/classes/{klass['id']}/lessons",
            {
                "starts_at": now.isoformat(),
                "ends_at": (now + timedelta(hours=2)).isoformat(),
                "checkin_opens_at": (now - timedelta(minutes=5)).isoformat(),
                "checkin_closes_at": (now + timedelta(hours=1)).isoformat(),
            },
            commissioner,
        )
    return ScanSite(codes=list(codes), staff_tokens=staff_tokens, class_id=klass["id"])


def sign_all(keys_dir: str, codes: Sequence[str]) -> list[str]:
    """Fresh payloads, signed with the server's own key files (what each trainee's phone shows)."""
    from vouchers.qr import codes as qr
    from vouchers.qr.keys import QrKeyRing

    ring = QrKeyRing.load(keys_dir, generate=False)
    return [qr.sign(ring, qr.VOUCHER, code).payload for code in codes]


async def enrol_all(
    base: str, keys_dir: str, codes: Sequence[str], staff_tokens: Sequence[str], class_id: int
) -> Counter[str]:
    from vouchers.qr import codes as qr
    from vouchers.qr.keys import QrKeyRing

    ring = QrKeyRing.load(keys_dir, generate=False)
    results: Counter[str] = Counter()
    semaphore = asyncio.Semaphore(32)
    async with aiohttp.ClientSession() as http:

        async def enrol(i: int, code: str) -> None:
            body = {
                "payload": "",
                "action": "enrol",
                "class_id": class_id,
                "nonce": f"setup-{i:08d}",
                "scanned_at": datetime.now(UTC).isoformat(),
                "device": "bench-setup",
            }
            headers = {"Authorization": f"Bearer {staff_tokens[i % len(staff_tokens)]}"}
            async with semaphore:
                body["payload"] = qr.sign(ring, qr.VOUCHER, code).payload  # signed when shown, as on a phone
                async with http.post(f"{base}/api/v1/scans", json=body, headers=headers) as response:
                    answer = await response.json()
                    results[answer.get("reason") or answer.get("result", str(response.status))] += 1

        await asyncio.gather(*(enrol(i, c) for i, c in enumerate(codes)))
    return results


async def count_xacts(database_url: str) -> int:
    import asyncpg

    await asyncio.sleep(1.1)  # let the server's backends publish their counters
    conn = await asyncpg.connect(driver_dsn(database_url))
    try:
        sql = "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


async def count_duplicates(database_url: str) -> dict[str, int]:
    import asyncpg

    conn = await asyncpg.connect(driver_dsn(database_url))
    try:
        queries = {
            "enrolments": "SELECT count(*) FROM (SELECT voucher_id FROM enrolment WHERE annulled_at IS NULL "
            "GROUP BY voucher_id HAVING count(*) > 1) d",
            "attendance": "SELECT count(*) FROM (SELECT lesson_id, voucher_id FROM attendance "
            "GROUP BY lesson_id, voucher_id HAVING count(*) > 1) d",
            "scan_nonces": "SELECT count(*) FROM (SELECT staff_id, nonce FROM scan_record "
            "GROUP BY staff_id, nonce HAVING count(*) > 1) d",
            "class_counter": "SELECT count(*) FROM training_class c WHERE c.enrolled <> "
            "(SELECT count(*) FROM enrolment e WHERE e.training_class_id = c.id AND e.annulled_at IS NULL)",
            "enrolled_history": "SELECT count(*) FROM (SELECT voucher_id FROM voucher_history "
            "WHERE action = 'enrolled' GROUP BY voucher_id HAVING count(*) > 1) d",
        }
        return {name: int(await conn.fetchval(sql)) for name, sql in queries.items()}
    finally:
        await conn.close()
