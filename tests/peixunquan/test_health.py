"""GET /healthz: 200 when the database and Redis both answer, 503 naming the one that does not."""

from __future__ import annotations

import os
import time

from aiohttp.test_utils import TestClient, TestServer
from tortoise import Tortoise

from models.database import init_db, migrate
from peixunquan.app import create_app
from peixunquan.redis_client import connect_redis
from peixunquan.runtime import build_services

NOTHING_LISTENS = "127.0.0.1:1"


async def test_healthy(client):
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok", "database": "ok", "redis": "ok", "pid": os.getpid()}


async def test_redis_unreachable_is_503_naming_redis(client, svc):
    working = svc.redis
    svc.redis = connect_redis(f"redis://{NOTHING_LISTENS}/0")
    try:
        started = time.monotonic()
        response = await client.get("/healthz")
        elapsed = time.monotonic() - started
        body = await response.json()
    finally:
        await svc.redis.aclose()
        svc.redis = working
    assert response.status == 503
    assert body == {"status": "unavailable", "database": "ok", "redis": "unreachable", "pid": os.getpid()}
    assert elapsed < 5  # the probe has a timeout: a load balancer must get an answer
    # Back to healthy once Redis answers again.
    assert (await client.get("/healthz")).status == 200


async def _healthz_with_database_unreachable(client) -> None:
    started = time.monotonic()
    response = await client.get("/healthz")
    elapsed = time.monotonic() - started
    assert response.status == 503, await response.text()
    body = await response.json()
    assert body == {"status": "unavailable", "database": "unreachable", "redis": "ok", "pid": os.getpid()}
    assert elapsed < 5
    # The rest of the API keeps answering with JSON, not a crash page.
    refused = await client.get("/api/v1/admin/batches")
    assert refused.status == 401
    assert (await refused.json())["error"]["code"] == "unauthenticated"


async def test_database_lost_after_start_is_503_naming_database(aiohttp_client, config, tmp_path):
    # No `db` fixture: this test owns the Tortoise connections. The app starts on a working
    # database, then the database goes away.
    working = f"sqlite://{tmp_path}/health.sqlite3"
    await migrate(working)
    await init_db(working)
    svc = build_services(config, connect_redis("memory://health-test"))
    try:
        client = await aiohttp_client(create_app(config, services=svc, manage_db=False))
        assert (await client.get("/healthz")).status == 200
        await Tortoise.close_connections()
        await init_db(f"asyncpg://postgres@{NOTHING_LISTENS}/test", pool_max=2)
        await _healthz_with_database_unreachable(client)
    finally:
        await Tortoise.close_connections()


async def test_database_unreachable_from_the_start_is_503_naming_database(config):
    await init_db(f"asyncpg://postgres@{NOTHING_LISTENS}/test", pool_max=2)
    svc = build_services(config, connect_redis("memory://health-test"))
    # Built by hand so a failed start-up still closes the client session.
    client = TestClient(TestServer(create_app(config, services=svc, manage_db=False)))
    try:
        await client.start_server()
        await _healthz_with_database_unreachable(client)
    finally:
        await client.close()
        await Tortoise.close_connections()
