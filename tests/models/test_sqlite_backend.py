"""The embedded database shared by several processes: a transaction waits for another process's
write instead of failing with "database is locked"."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from tortoise import connections
from tortoise.context import TortoiseContext
from tortoise.exceptions import OperationalError
from tortoise.transactions import in_transaction

from models.database import tortoise_config


@asynccontextmanager
async def _database(path: Path, busy_timeout_ms: int | None = None) -> AsyncIterator[None]:
    """The app's Tortoise set-up on this file, in a context of its own (not the suite's database)."""
    url = f"sqlite://{path}" + (f"?busy_timeout={busy_timeout_ms}" if busy_timeout_ms else "")
    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(url))
        yield


def _table(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE counter (n INTEGER)")
        conn.execute("INSERT INTO counter VALUES (0)")


async def test_read_then_write_waits_for_another_process_instead_of_failing(tmp_path: Path):
    db = tmp_path / "x.sqlite3"
    _table(db)
    other_done = threading.Event()

    def other_process_writes() -> None:  # as the server does, in the middle of our transaction
        with sqlite3.connect(db, timeout=30, isolation_level=None) as other:
            other.execute("UPDATE counter SET n = n + 100")
        other_done.set()

    async with _database(db):
        async with in_transaction() as conn:
            [row] = await conn.execute_query_dict("SELECT n FROM counter")
            writer = threading.Thread(target=other_process_writes)
            writer.start()
            await asyncio.sleep(0.2)  # the other write would have committed by now, were it not waiting
            await conn.execute_query("UPDATE counter SET n = ?", [row["n"] + 1])
        await asyncio.to_thread(writer.join, 10)
        assert other_done.is_set()
        # Both writes count: ours was not lost, theirs waited for it.
        assert (await connections.get("default").execute_query_dict("SELECT n FROM counter")) == [{"n": 101}]


async def test_a_lock_held_past_the_busy_timeout_fails_that_transaction_only(tmp_path: Path):
    db = tmp_path / "x.sqlite3"
    _table(db)
    other = sqlite3.connect(db, isolation_level=None)
    try:
        async with _database(db, busy_timeout_ms=100):
            other.execute("BEGIN IMMEDIATE")
            with pytest.raises(OperationalError, match="locked"):
                async with in_transaction() as conn:
                    await conn.execute_query("UPDATE counter SET n = 1")
            other.execute("COMMIT")
            # The process goes on: the next transaction is not stuck behind the failed one.
            async with asyncio.timeout(5), in_transaction() as conn:
                await conn.execute_query("UPDATE counter SET n = 2")
            assert (await connections.get("default").execute_query_dict("SELECT n FROM counter")) == [{"n": 2}]
    finally:
        other.close()
