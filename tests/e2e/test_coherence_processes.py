"""Two real server processes sharing PostgreSQL and Redis: a change made through one reaches the
other's caches within a second (`vouchers.common.coherence`), not at the end of a 30-second TTL.
Needs a real Redis (each process's in-process Redis is its own): skipped on memory://, run in CI."""

from __future__ import annotations

import time

import aiohttp
import pytest

from tests.e2e.test_login_throttle_processes import _ready
from tests.support.cli import sharing_servers
from tests.support.factories import auth, trainee

BOUND_S = 1.0  # docs/operations.md


async def test_a_logout_through_one_process_holds_in_the_other_within_a_second(svc, config, tmp_path):
    if config.redis.url.startswith("memory://"):
        pytest.skip("two processes share only a real Redis (PXQ_TEST_REDIS_URL)")
    servers, bases = sharing_servers(tmp_path, config)
    _, session = await trainee(svc)
    try:
        async with aiohttp.ClientSession() as http:
            first, second = bases
            for base, server in zip((first, second), servers, strict=True):
                await _ready(http, base, server)

            async def me(base: str) -> int:
                async with http.get(f"{base}/api/v1/me", headers=auth(session)) as r:
                    return r.status

            # Both processes have read (and cached) the trainee's account.
            assert [await me(first), await me(second)] == [200, 200]
            async with http.post(f"{first}/api/v1/logout", headers=auth(session)) as r:
                assert r.status == 200, await r.text()
            logged_out = time.monotonic()
            while await me(second) == 200:
                assert time.monotonic() - logged_out < BOUND_S, "the other process still takes the token"
            assert await me(second) == 401
            assert await me(first) == 401
    finally:
        for server in servers:
            server.kill()
