"""The database: Tortoise ORM set-up shared by the server, the worker, the CLI and the tests, and
the one answer to "is this PostgreSQL?"."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from tortoise import Tortoise, connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate as migrate_api

APP_LABEL = "models"
# How long a SQLite write waits for another process's write to finish before it gives up with
# "database is locked". A roster chunk of 1,000 rows holds the lock for about a second; the
# server's writes for milliseconds. `?busy_timeout=<ms>` on the URL overrides it.
SQLITE_BUSY_TIMEOUT_MS = 30_000


def tortoise_config(url: str, pool_max: int = 20) -> dict[str, Any]:
    scheme = urlsplit(url).scheme
    if scheme in ("postgres", "postgresql"):
        url = "asyncpg" + url[len(scheme) :]
    connection: str | dict[str, Any] = url
    if url.startswith("asyncpg://"):
        if "maxsize=" not in url:
            url += ("&" if "?" in url else "?") + f"minsize=1&maxsize={pool_max}"
        connection = expand_db_url(url)
        connection["credentials"]["reset"] = _keep_session_state
    elif scheme == "sqlite":
        connection = expand_db_url(url)
        connection["engine"] = "models.sqlite_backend"  # transactions take the write lock first
        connection["credentials"].setdefault("busy_timeout", SQLITE_BUSY_TIMEOUT_MS)
    return {
        "connections": {"default": connection},
        "apps": {
            APP_LABEL: {
                "models": ["models"],
                "default_connection": "default",
                "migrations": "models.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def _keep_session_state(conn: Any) -> None:
    """asyncpg's default pool reset sends `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL` on every release: one more round trip for every query Tortoise runs, the largest
    single cost of a claim. We never use advisory locks, session cursors, LISTEN or SET, and
    asyncpg still rolls back a transaction left open before this hook, so there is nothing to
    reset."""


def is_postgres(db: str | BaseDBAsyncClient) -> bool:
    """A database URL or a Tortoise connection. PostgreSQL runs the hand-written statements of
    `models.sql`; SQLite (the embedded default) takes the ORM's way to the same result."""
    if isinstance(db, str):
        return urlsplit(db).scheme in ("postgres", "postgresql", "asyncpg")
    return db.capabilities.dialect == "postgres"


async def init_db(url: str, pool_max: int = 20) -> None:
    _ensure_sqlite_dir(url)
    # The global fallback lets request tasks (started outside the start-up task's context) see
    # the connections, as Tortoise's own framework integrations do.
    await Tortoise.init(config=tortoise_config(url, pool_max), _enable_global_fallback=True)


async def close_db() -> None:
    await Tortoise.close_connections()


async def migrate(url: str, target: str | None = None) -> None:
    """Up to the latest migration, or to (back to) `target`, e.g. "models.0006_settlement"."""
    _ensure_sqlite_dir(url)
    try:
        await migrate_api(config=tortoise_config(url, 2), target=target)
    finally:
        await Tortoise.close_connections()


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite://") and ":memory:" not in url:
        from pathlib import Path

        Path(url[len("sqlite://") :]).parent.mkdir(parents=True, exist_ok=True)


async def database_ok(timeout_s: float) -> bool:
    try:
        await asyncio.wait_for(connections.get("default").execute_query("SELECT 1"), timeout_s)
    except Exception:  # any failure means "not reachable" here, whatever the driver raises
        return False
    return True
