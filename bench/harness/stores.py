"""The PostgreSQL database and Redis db a benchmark runs against, and wiping both before a run."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PG_SOCKET_DIR = "/var/run/postgresql"
TEST_DATABASE = "test"  # used by the test suite
TEST_REDIS_DB = 15  # used by the test suite


def default_database_url(name: str) -> str:
    """The local PostgreSQL over its Unix socket when it has one, as a server on the database's
    own machine should reach it (README, "Running it for real"): here loopback TCP cost the scan
    call about 40 % more server CPU. TCP otherwise."""
    if Path(PG_SOCKET_DIR, ".s.PGSQL.5432").exists():
        return f"postgres://postgres@/{name}?host={PG_SOCKET_DIR}"
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def targets_from_environment(default_database_url: str, default_redis_url: str) -> dict[str, str]:
    """This process's environment, with PXQ_DATABASE_URL and PXQ_REDIS_URL defaulted."""
    env = dict(os.environ)
    env.setdefault("PXQ_DATABASE_URL", default_database_url)
    env.setdefault("PXQ_REDIS_URL", default_redis_url)
    return env


def check_targets(bench: str, database_url: str, redis_url: str, force: bool) -> None:
    """The run wipes both: refuse the test suite's targets, and anything not obviously a bench."""
    db_name = urlsplit(database_url).path.lstrip("/")
    redis_db = int(urlsplit(redis_url).path.lstrip("/") or 0)
    if urlsplit(database_url).scheme not in ("postgres", "postgresql"):
        sys.exit(f"{bench}: PXQ_DATABASE_URL must be a postgres:// URL")
    if db_name == TEST_DATABASE or redis_db == TEST_REDIS_DB:
        sys.exit(f"{bench}: refusing to wipe the test database / Redis db {TEST_REDIS_DB}")
    if not force and ("bench" not in db_name or redis_db == 0):
        sys.exit(
            f"{bench}: would drop the schema of database {db_name!r} and flush Redis db {redis_db}; "
            "use a database named *bench* and a Redis db other than 0, or pass --force"
        )


def driver_dsn(database_url: str) -> str:
    """The URL as asyncpg takes it: without the project's query options."""
    return urlunsplit(urlsplit(database_url)._replace(query=""))


def postgres_via(database_url: str) -> str:
    return "unix socket" if "host=/" in database_url else "tcp"


def describe_targets(database_url: str, redis_url: str) -> str:
    return f"{urlsplit(database_url).path} and Redis {redis_url.rsplit('/', 1)[-1]}"


async def reset_stores(database_url: str, redis_url: str) -> None:
    """Creates the database if missing, drops and recreates its `public` schema, flushes the Redis db."""
    import asyncpg
    import redis.asyncio as aioredis

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres", query="")))
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    conn = await asyncpg.connect(driver_dsn(database_url))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()
    redis = aioredis.from_url(redis_url)
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()
