"""Login throttling across two real server processes sharing Redis and the database: failures
sent to either count toward one lock, and a lock set through one process holds in the other.
Needs a real Redis (each process's in-process Redis is its own): skipped on memory://, run in CI."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from tests.support.cli import CliProcess, sharing_servers
from tests.support.factories import PASSWORD, regions
from vouchers.identity.bureau_auth import create_bureau_user

LIMIT = 10  # login_max_failures


async def _ready(http: aiohttp.ClientSession, base: str, process: CliProcess) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            async with http.get(f"{base}/healthz") as r:
                if r.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        if process.popen.poll() is not None:
            pytest.fail(f"server exited\n{process.stderr[-3000:]}")
        await asyncio.sleep(0.2)
    pytest.fail(f"server at {base} never became healthy\n{process.stderr[-3000:]}")


async def test_failures_in_two_processes_count_toward_one_lock(svc, config, tmp_path):
    if config.redis.url.startswith("memory://"):
        pytest.skip("two processes share only a real Redis (PXQ_TEST_REDIS_URL)")
    await regions()
    await create_bureau_user("wuxi", PASSWORD, "320200")
    servers, bases = sharing_servers(tmp_path, config)
    try:
        async with aiohttp.ClientSession() as http:
            for base, server in zip(bases, servers, strict=True):
                await _ready(http, base, server)

            async def login(base: str, password: str) -> int:
                body = {"username": "wuxi", "password": password}
                async with http.post(f"{base}/api/v1/admin/login", json=body) as r:
                    return r.status

            # Alternating: each process sees only half of the failures itself.
            statuses = [await login(bases[n % 2], "wrong-password") for n in range(LIMIT)]
            assert statuses == [401] * LIMIT
            assert await login(bases[0], PASSWORD) == 429
            assert await login(bases[1], PASSWORD) == 429
    finally:
        for server in servers:
            server.kill()
