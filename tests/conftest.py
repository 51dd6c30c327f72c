"""Test set-up: PostgreSQL + Redis when `PXQ_TEST_DATABASE_URL` / `PXQ_TEST_REDIS_URL` name them
(always in CI, where an unreachable service fails the run), else SQLite + the in-process Redis."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from tortoise import Tortoise, connections

from models.database import init_db, is_postgres, migrate
from models.partitions import KEY_TABLES
from peixunquan.app import create_app
from peixunquan.config import (
    AlipayConfig,
    Config,
    DatabaseConfig,
    InstitutionsConfig,
    RedisConfig,
    WechatConfig,
    WorkerConfig,
)
from peixunquan.redis_client import connect_redis
from peixunquan.runtime import build_services
from vouchers.services import Services

pytest_plugins = [
    "tests.support.alipay",  # the app with the Alipay sandbox mounted on a real port
    "tests.support.browser",  # headless Chromium for the page tests
    "tests.support.cheap_crypto",  # argon2 and RSA key parsing at test cost, for every test
    "tests.support.redis_ha",  # a real Redis Cluster and Sentinel set-up, for the Redis HA tests
    "tests.support.webhooks",  # an institution's webhook endpoint
]


def _tables() -> list[str]:
    """Every model's table: a table added later is emptied between tests without a list to keep."""
    return sorted({model._meta.db_table for model in Tortoise.apps["models"].values()})


# Under pytest-xdist (`make test` runs the suite with -n) each worker process is "gw0", "gw1", ...
# and has a database and a Redis db of its own, so no test sees another one's rows or keys.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
WORKER_NUMBER = int(WORKER[2:]) if WORKER.startswith("gw") else 0
WORKER_COUNT = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
REDIS_DBS = 16  # Redis's default `databases`


def _database_url(tmp_root: Path) -> str:
    """SQLite in this worker's own temporary directory, or `<PXQ_TEST_DATABASE_URL's name>_gw<n>`
    on PostgreSQL (the name itself outside xdist)."""
    url = os.environ.get("PXQ_TEST_DATABASE_URL")
    if not url:
        return f"sqlite://{tmp_root}/test.sqlite3"
    if not WORKER:
        return url
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_{WORKER}"))


def _redis_url() -> str:
    """The in-process Redis (one per worker process anyway), or PXQ_TEST_REDIS_URL's db index plus
    the worker's number, counting down from it instead when counting up would pass db 15 (CI's
    base is 15: workers get 15, 14, ...)."""
    url = os.environ.get("PXQ_TEST_REDIS_URL") or "memory://tests"
    if url.startswith("memory://") or not WORKER:
        return url
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    index = base + WORKER_NUMBER if base + WORKER_COUNT <= REDIS_DBS else base - WORKER_NUMBER
    if not 0 <= index < REDIS_DBS:
        pytest.fail(f"{WORKER_COUNT} workers do not fit in Redis dbs 0..{REDIS_DBS - 1} from PXQ_TEST_REDIS_URL {url}")
    return urlunsplit(parts._replace(path=f"/{index}"))


async def _create_database(url: str) -> None:
    """This worker's PostgreSQL database, created beside PXQ_TEST_DATABASE_URL's if missing."""
    import asyncpg

    name = urlsplit(url).path.lstrip("/")
    admin = await asyncpg.connect(os.environ["PXQ_TEST_DATABASE_URL"].replace("asyncpg://", "postgres://", 1))
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            quoted = name.replace('"', '""')
            await admin.execute(f'CREATE DATABASE "{quoted}"')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = _database_url(tmp_path_factory.mktemp("db"))
    # CI runs the suite twice: on PostgreSQL + Redis, and on what `make run` uses (SQLite and the
    # in-process Redis, PXQ_TEST_BACKEND=embedded). Neither may fall back to the other unasked.
    embedded = os.environ.get("PXQ_TEST_BACKEND") == "embedded"
    if os.environ.get("CI") == "true" and not embedded:
        if not is_postgres(url):
            pytest.fail("CI must run against PostgreSQL: set PXQ_TEST_DATABASE_URL")
        if _redis_url().startswith("memory://"):
            pytest.fail("CI must run against Redis: set PXQ_TEST_REDIS_URL")
    if embedded and (is_postgres(url) or not _redis_url().startswith("memory://")):
        pytest.fail("PXQ_TEST_BACKEND=embedded runs on SQLite and the in-process Redis: unset PXQ_TEST_*_URL")

    async def fresh_schema() -> None:
        if is_postgres(url):
            import asyncpg

            if WORKER:
                await _create_database(url)
            conn = await asyncpg.connect(url.replace("asyncpg://", "postgres://", 1))
            await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
            await conn.close()
        await migrate(url)

    asyncio.run(fresh_schema())
    return url


@pytest.fixture(scope="session")
def alipay_config(tmp_path_factory: pytest.TempPathFactory) -> AlipayConfig:
    """Sandbox-mode Alipay with development keys made once per session, outside the repo."""
    keys = tmp_path_factory.mktemp("alipay-keys")
    return AlipayConfig(
        app_private_key_path=str(keys / "app_private_key.pem"),
        alipay_public_key_path=str(keys / "sandbox_public_key.pem"),
    )


@pytest.fixture
def config(database_url: str, tmp_path: Path, alipay_config: AlipayConfig) -> Config:
    # The mounted sandboxes keep their state in this test's own directory.
    return Config(
        database=DatabaseConfig(url=database_url, pool_max=30),
        redis=RedisConfig(url=_redis_url()),
        worker=WorkerConfig(embedded=False),  # tests drive the worker's steps themselves
        # The tests' webhook receivers listen on 127.0.0.1.
        institutions=InstitutionsConfig(qr_keys_dir=str(tmp_path / "qr-keys"), allow_private_webhooks=True),
        wechat=WechatConfig(sandbox_state_file=str(tmp_path / "sandbox" / "wechat.json")),
        alipay=replace(alipay_config, sandbox_state_file=str(tmp_path / "sandbox" / "alipay.json")),
        secret=secrets.token_bytes(32),
    )


@pytest.fixture
async def db(config: Config) -> AsyncIterator[None]:
    await init_db(config.database.url, config.database.pool_max)
    conn = connections.get("default")
    if is_postgres(config.database.url):
        tables = [*_tables(), *KEY_TABLES]  # a key left over would refuse the next test's row
        await conn.execute_script(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    else:
        statements = "; ".join(f"DELETE FROM {table}" for table in _tables())
        await conn.execute_script(f"PRAGMA foreign_keys=OFF; {statements}; PRAGMA foreign_keys=ON;")
    yield
    await Tortoise.close_connections()


@pytest.fixture
async def svc(config: Config, db: None) -> AsyncIterator[Services]:
    redis = connect_redis(config.redis.url)
    await redis.flushdb()
    services = build_services(config, redis)
    yield services
    await redis.aclose()


@pytest.fixture
async def client(aiohttp_client, config: Config, svc: Services):
    # On a port chosen first, so the platform sandboxes mounted on the app answer at their URLs.
    from tests.support.alipay import on_port, unused_port  # after pytest_plugins registered it

    port = unused_port()
    return await aiohttp_client(
        create_app(on_port(config, port), services=svc, manage_db=False), server_kwargs={"port": port}
    )


SCRATCH_SCHEMA = "pxq_scratch"


@pytest.fixture
async def scratch_url(database_url: str, tmp_path) -> AsyncIterator[str]:
    """An empty database beside the suite's, for migration tests: nothing the other tests use is
    touched. A file of its own on SQLite, a schema of its own on PostgreSQL."""
    if not is_postgres(database_url):
        yield f"sqlite://{tmp_path}/upgrade.sqlite3"
        return
    import asyncpg

    admin = await asyncpg.connect(database_url.replace("asyncpg://", "postgres://", 1))
    await admin.execute(f"DROP SCHEMA IF EXISTS {SCRATCH_SCHEMA} CASCADE; CREATE SCHEMA {SCRATCH_SCHEMA}")
    url = database_url + ("&" if "?" in database_url else "?") + f"schema={SCRATCH_SCHEMA}"
    try:
        # Migrating back must never reach the suite's own schema.
        await init_db(url, pool_max=2)
        _, [row] = await connections.get("default").execute_query("SELECT current_schema() AS name")
        await Tortoise.close_connections()
        assert row["name"] == SCRATCH_SCHEMA
        yield url
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {SCRATCH_SCHEMA} CASCADE")
        await admin.close()
