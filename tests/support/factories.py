"""Builders for test data: made-up but valid ID numbers, regions, bureau users, trainees."""

from __future__ import annotations

import itertools
import secrets
from datetime import date
from typing import Any

from models import AccountChannel, BureauRole, ChannelAccount
from peixunquan.demo import load_regions
from vouchers.common.personal_data import check_digit
from vouchers.identity.bind_identity import bind_verified_identity
from vouchers.identity.bureau_auth import create_bureau_user, login
from vouchers.identity.sessions import open_session
from vouchers.services import Services

_serial = itertools.count(1)
PASSWORD = "correct horse battery"


def id_number(region: str = "320202", born: date = date(1990, 3, 7), serial: int | None = None) -> str:
    seq = serial if serial is not None else next(_serial)
    first17 = f"{region}{born:%Y%m%d}{seq % 1000:03d}"
    return first17 + check_digit(first17)


def bad_check_digit(number: str) -> str:
    wrong = "0" if number[-1] != "0" else "1"
    return number[:-1] + wrong


async def regions() -> None:
    await load_regions()


async def bureau(svc: Services, username: str = "wuxi", region: str = "320200", role: str = "admin") -> str:
    await create_bureau_user(username, PASSWORD, region, role=BureauRole(role))
    _, token = await login(svc, username, PASSWORD)
    return token


async def trainee(
    svc: Services,
    number: str | None = None,
    name: str = "李四",
    channel: AccountChannel = AccountChannel.H5,
    subject: str | None = None,
) -> tuple[ChannelAccount, str]:
    account, token = await open_session(svc, channel, "test-app", subject or secrets.token_hex(8))
    await bind_verified_identity(
        svc.keys, account, name, number or id_number(), provider="test", out_seq_no=secrets.token_hex(12)
    )
    return account, token


async def unverified(svc: Services) -> tuple[ChannelAccount, str]:
    return await open_session(svc, AccountChannel.H5, "test-app", secrets.token_hex(8))


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def batch_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "2026年无锡市职业培训券",
        "region": "320200",
        "value_mode": "face_value",
        "face_value_fen": 50_000,
        "distribution": "general",
        "project_types": ["就业技能培训"],
        "occupation": "电工",
        "eligible_groups": ["失业人员"],
        "validity_mode": "days_after_claim",
        "valid_days": 30,
        "quantity": 10,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


async def published_batch(client, token: str, **overrides: Any) -> dict[str, Any]:
    created = await client.post("/api/v1/admin/batches", json=batch_body(**overrides), headers=auth(token))
    assert created.status == 201, await created.text()
    batch = await created.json()
    published = await client.post(f"/api/v1/admin/batches/{batch['id']}/publish", headers=auth(token))
    assert published.status == 200, await published.text()
    return await published.json()
