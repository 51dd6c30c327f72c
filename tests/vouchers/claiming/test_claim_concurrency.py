"""A rush: 200 concurrent claims by 100 people for 50 vouchers, through real HTTP requests
against the database and Redis the suite runs on (PostgreSQL + Redis in CI)."""

from __future__ import annotations

import asyncio
import random

from tortoise.functions import Count

from models import Batch, Voucher
from tests.support.factories import auth, bureau, published_batch, regions, trainee
from vouchers.claiming.gate import _keys


async def test_rush_issues_exactly_the_stock_and_nobody_twice(client, svc):
    await regions()
    token = await bureau(svc)
    batch = await published_batch(client, token, quantity=50)
    sessions = [(await trainee(svc))[1] for _ in range(100)]
    attempts = sessions * 2
    random.Random(7).shuffle(attempts)

    async def attempt(session: str) -> tuple[int, str | None]:
        response = await client.post("/api/v1/claims", json={"batch_id": batch["id"]}, headers=auth(session))
        body = await response.json()
        return response.status, body.get("error", {}).get("code")

    results = await asyncio.gather(*(attempt(s) for s in attempts))

    assert sum(1 for status, _ in results if status == 201) == 50
    assert {code for status, code in results if status != 201} <= {"sold_out", "already_claimed"}
    assert await Voucher.filter(batch_id=batch["id"]).count() == 50
    per_person = (
        await Voucher.filter(batch_id=batch["id"])
        .annotate(n=Count("id"))
        .group_by("person_id")
        .values_list("person_id", "n")
    )
    assert all(n == 1 for _, n in per_person) and len(per_person) == 50
    assert (await Batch.get(id=batch["id"])).remaining == 0
    assert int(await svc.redis.get(_keys(batch["id"])[0])) == 0
