"""The database: Tortoise ORM set-up shared by the server, the worker, the CLI and the tests, and
the one answer to "is this PostgreSQL?". With `[database] read_url` a second connection, the
streaming standby's client, that only `models.replica.on_replica` reads from."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from tortoise import Tortoise, connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate as migrate_api

from models.replica import COMMAND_TIMEOUT_S, CONNECT_TIMEOUT_S, close_replica, open_replica

APP_LABEL = "models"
# How long a SQLite write waits for another process's write to finish before it gives up with
# "database is locked". A roster chunk of 1,000 rows holds the lock for about a second; the
# server's writes for milliseconds. `?busy_timeout=<ms>` on the URL overrides it.
SQLITE_BUSY_TIMEOUT_MS = 30_000


def tortoise_config(url: str, pool_max: int = 20) -> dict[str, Any]:
    scheme = urlsplit(url).scheme
    connection: str | dict[str, Any] = url
    if is_postgres(url):
        connection = _postgres_connection(url, pool_max)
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


def _postgres_connection(url: str, pool_max: int) -> dict[str, Any]:
    scheme = urlsplit(url).scheme
    if scheme in ("postgres", "postgresql"):
        url = "asyncpg" + url[len(scheme) :]
    if "maxsize=" not in url:
        url += ("&" if "?" in url else "?") + f"minsize=1&maxsize={pool_max}"
    connection = expand_db_url(url)
    connection["credentials"]["reset"] = _keep_session_state
    return connection


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


async def init_db(url: str, pool_max: int = 20, read_url: str = "") -> None:
    """The connections: the primary (`url`), and the standby `read_url` names, if any - opened on
    first use, so a standby that is down does not stop the start."""
    _ensure_sqlite_dir(url)
    await close_replica()  # a standby of an earlier init_db in this process (tests) is not this one's
    # The global fallback lets request tasks (started outside the start-up task's context) see
    # the connections, as Tortoise's own framework integrations do.
    await Tortoise.init(config=tortoise_config(url, pool_max), _enable_global_fallback=True)
    if read_url:
        credentials = _postgres_connection(read_url, pool_max)["credentials"]
        credentials.setdefault("timeout", CONNECT_TIMEOUT_S)
        credentials.setdefault("command_timeout", COMMAND_TIMEOUT_S)
        open_replica(credentials)


async def close_db() -> None:
    await close_replica()
    await Tortoise.close_connections()


async def migrate(url: str, target: str | None = None) -> None:
    """Up to the latest migration, or to (back to) `target`, e.g. "models.0006_settlement"."""
    _ensure_sqlite_dir(url)
    try:
        await migrate_api(config=tortoise_config(url, 2), target=target)
    finally:
        await Tortoise.close_connections()


def migration_names() -> list[str]:
    """The migrations in order, by file name (`0026_statistics_rollup`)."""
    from pathlib import Path

    folder = Path(__file__).parent / "migrations"
    return sorted(p.stem for p in folder.glob("[0-9][0-9][0-9][0-9]_*.py"))


def find_migration(text: str) -> str | None:
    """A migration named whole or by its number (`0026`), or None."""
    return next((name for name in migration_names() if text in (name, name.split("_", 1)[0])), None)


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
