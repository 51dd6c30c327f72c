"""Data for a run, made with the project's own code or through its API: regions, the bench's bureau
user, verified trainees with session tokens, a published batch. The project imports sit inside the
functions, so this module's own import needs nothing configured."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from typing import Any

import aiohttp

BUREAU_USER = "bench"
BUREAU_PASSWORD = "bench-password-not-secret"
REGION = "320200"  # loaded by peixunquan.demo.load_regions


def bench_id_number(index: int) -> str:
    """Unique, valid made-up ID numbers: 1000 sequence numbers per birth date, as tests/factories."""
    from vouchers.common.personal_data import check_digit

    day, seq = divmod(index, 1000)
    first17 = f"{REGION}{date(1980, 1, 1) + timedelta(days=day):%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)


async def seed_bureau_and_trainees(env: dict[str, str], persons: int) -> list[str]:
    """Regions, the bench bureau user and `persons` verified trainees; returns one session token
    each. Uses the server's env and secret file, so tokens signed here verify there."""
    from peixunquan.config import load_config, load_secret
    from peixunquan.demo import load_regions
    from peixunquan.runtime import open_services
    from vouchers.identity.bureau_auth import create_bureau_user

    config = load_secret(load_config(env=env))
    async with open_services(config) as svc:
        await load_regions()
        await create_bureau_user(BUREAU_USER, BUREAU_PASSWORD, REGION, display_name="压测")
        return await _create_trainees(svc, persons)


async def _create_trainees(svc: Any, count: int) -> list[str]:
    """What bind_verified_identity + open_session do, in bulk: Person rows (HMAC and ciphertexts),
    bound H5 accounts, and one session token per account."""
    from models import AccountChannel, ChannelAccount, Person
    from vouchers.common.clock import utcnow
    from vouchers.identity.sessions import SESSION

    numbers = [bench_id_number(i) for i in range(count)]
    hashes = [svc.keys.id_hash(n) for n in numbers]
    await Person.bulk_create(
        [
            Person(id_hash=h, id_cipher=svc.keys.encrypt(n, b"id"), name_cipher=svc.keys.encrypt(f"压测{i}", b"name"))
            for i, (n, h) in enumerate(zip(numbers, hashes, strict=True))
        ],
        batch_size=1000,
    )
    person_ids = dict(await Person.filter(id_hash__in=hashes).values_list("id_hash", "id"))
    now = utcnow()
    await ChannelAccount.bulk_create(
        [
            ChannelAccount(
                channel=AccountChannel.H5, app_id="bench", subject=f"bench-{i}", person_id=person_ids[h], bound_at=now
            )
            for i, h in enumerate(hashes)
        ],
        batch_size=1000,
    )
    account_ids = await ChannelAccount.filter(app_id="bench").values_list("id", flat=True)
    return [svc.tokens.issue(SESSION, account_id, svc.session_token_ttl_s) for account_id in account_ids]


async def call_api(
    http: aiohttp.ClientSession,
    base: str,
    method: str,
    path: str,
    body: Any = None,
    token: str | None = None,
    expect: Collection[int] = (200, 201),
) -> Any:
    """One JSON API call; any status not in `expect` is an error."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.request(method, f"{base}{path}", json=body, headers=headers) as response:
        if response.status not in expect:
            raise RuntimeError(f"{method} {path}: {response.status} {await response.text()}")
        return await response.json()


async def bureau_login(http: aiohttp.ClientSession, base: str) -> str:
    body = {"username": BUREAU_USER, "password": BUREAU_PASSWORD}
    return (await call_api(http, base, "POST", "/api/v1/admin/login", body, expect=(200,)))["token"]


async def publish_batch(http: aiohttp.ClientSession, base: str, title: str, stock: int) -> int:
    """As the bureau would: log in, create a general batch with one eligible group, publish."""
    token = await bureau_login(http, base)
    spec = {
        "title": title,
        "region": REGION,
        "value_mode": "face_value",
        "face_value_fen": 50_000,
        "distribution": "general",
        "project_types": ["就业技能培训"],
        "occupation": "电工",
        "eligible_groups": ["失业人员"],
        "validity_mode": "days_after_claim",
        "valid_days": 30,
        "quantity": stock,
    }
    batch_id = int((await call_api(http, base, "POST", "/api/v1/admin/batches", spec, token, expect=(201,)))["id"])
    await call_api(http, base, "POST", f"/api/v1/admin/batches/{batch_id}/publish", token=token, expect=(200,))
    return batch_id
