"""A claim rush spread over two real server processes sharing PostgreSQL and Redis, as two
application hosts behind a load balancer would be: the stock is issued exactly once, nobody gets
two vouchers, every voucher the gate let through is in the database, and a batch closed through
one process refuses claims in the other within the bound of docs/operations.md.
Needs a real Redis (each process's in-process Redis is its own): skipped on memory://, run in CI."""

from __future__ import annotations

import asyncio
import itertools
import random
import time

import aiohttp
import pytest
from tortoise.functions import Count

from models import Batch, Voucher
from tests.e2e.test_login_throttle_processes import _ready
from tests.support.cli import sharing_servers
from tests.support.factories import auth, bureau, published_batch, regions, trainee
from vouchers.claiming.gate import _keys

BOUND_S = 1.0  # docs/operations.md: a change reaches every process within a second
STOCK = 40
PEOPLE = 90


async def test_two_servers_issue_the_stock_exactly_once(client, svc, config, tmp_path):
    if config.redis.url.startswith("memory://"):
        pytest.skip("two processes share only a real Redis (PXQ_TEST_REDIS_URL)")
    await regions()
    token = await bureau(svc)
    rush = await published_batch(client, token, quantity=STOCK)
    spare = await published_batch(client, token, quantity=STOCK, title="2026年无锡市职业培训券（第二批）")
    sessions = [(await trainee(svc))[1] for _ in range(PEOPLE)]

    servers, bases = sharing_servers(tmp_path, config)
    try:
        connector = aiohttp.TCPConnector(limit=64)
        async with aiohttp.ClientSession(connector=connector) as http:
            for base, server in zip(bases, servers, strict=True):
                await _ready(http, base, server)

            async def claim(base: str, session: str, batch_id: int) -> tuple[str, int, str | None]:
                async with http.post(f"{base}/api/v1/claims", json={"batch_id": batch_id}, headers=auth(session)) as r:
                    body = await r.json()
                    return base, r.status, body.get("error", {}).get("code")

            # Everyone tries twice, each attempt sent to the other server than the last one.
            attempts = sessions * 2
            random.Random(11).shuffle(attempts)
            servers_in_turn = itertools.cycle(bases)
            results = await asyncio.gather(*(claim(next(servers_in_turn), s, rush["id"]) for s in attempts))

            issued = [base for base, status, _ in results if status == 201]
            assert len(issued) == STOCK
            assert set(issued) == set(bases), "both servers issued vouchers"
            assert {code for _, status, code in results if status != 201} <= {"sold_out", "already_claimed"}
            assert await Voucher.filter(batch_id=rush["id"]).count() == STOCK
            per_person = (
                await Voucher.filter(batch_id=rush["id"])
                .annotate(n=Count("id"))
                .group_by("person_id")
                .values_list("person_id", "n")
            )
            assert len(per_person) == STOCK and all(n == 1 for _, n in per_person)
            assert (await Batch.get(id=rush["id"])).remaining == 0
            assert int(await svc.redis.get(_keys(rush["id"])[0])) == 0

            # Both servers have the second batch in their caches; it is closed through the first.
            first, second = bases
            assert (await claim(second, sessions[0], spare["id"]))[1] == 201
            async with http.post(f"{first}/api/v1/admin/batches/{spare['id']}/close", headers=auth(token)) as r:
                assert r.status == 200, await r.text()
            closed = time.monotonic()
            waiting = iter(sessions[1:])
            while (outcome := await claim(second, next(waiting), spare["id"]))[1] == 201:
                assert time.monotonic() - closed < BOUND_S, "the other server still issues from a closed batch"
            assert outcome[1] in (409, 410, 422), outcome
    finally:
        for server in servers:
            server.kill()
