"""Tortoise's SQLite client, fit for several processes on one file (`make run`'s server next to
`peixunquan import-roster`, the worker or a second server).

Tortoise opens every transaction with a plain (deferred) `BEGIN`: the transaction reads first,
then upgrades to a writer at its first write. If another process holds the write lock at that
moment, or committed since the first read, SQLite answers SQLITE_BUSY at once ("database is
locked"), without waiting the busy timeout, since waiting could deadlock. Starting every
transaction with `BEGIN IMMEDIATE` takes the write lock first, and that wait does honour the busy
timeout (Django's SQLite backend offers the same as "transaction_mode": "IMMEDIATE"). Readers are
not held up: WAL lets them read while one writer writes.

Tortoise finds this module through the `engine` key of the connection (see
`models.database.tortoise_config`); its migration runner picks the SQLite schema editor by the
word "sqlite" in the client's module name, which this module's name keeps.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from tortoise.backends.base.client import TransactionalDBClient
from tortoise.backends.sqlite import client as tortoise_sqlite
from tortoise.exceptions import OperationalError

from models.history_hash import ARGUMENTS, SQL_FUNCTION, history_hash


class _ImmediateTransaction(tortoise_sqlite.SqliteTransactionWrapper):
    async def begin(self) -> None:
        await self._connection.commit()
        try:
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:  # still locked after the busy timeout
            raise OperationalError(exc) from exc


class _TransactionContext(tortoise_sqlite.SqliteTransactionContext):
    """Tortoise's, except that a BEGIN that fails (locked past the busy timeout) lets go of the
    process's transaction lock: Tortoise's keeps it, and every later query would wait forever."""

    async def __aenter__(self) -> TransactionalDBClient:
        await self._trxlock.acquire()
        try:
            await self.ensure_connection()
            self.token = tortoise_sqlite.get_connections().set(self.connection_name, self.connection)
            try:
                await self.connection.begin()
            except BaseException:
                tortoise_sqlite.get_connections().reset(self.token)
                raise
        except BaseException:
            self._trxlock.release()
            raise
        return self.connection


class SqliteClient(tortoise_sqlite.SqliteClient):
    async def _post_connect(self) -> None:
        """The history seal's trigger (migration 0018) calls this function: every connection that
        writes a history row must have it, or the insert fails ("no such function")."""
        await super()._post_connect()
        assert self._connection is not None
        await self._connection.create_function(SQL_FUNCTION, ARGUMENTS, history_hash, deterministic=True)

    def _in_transaction(self) -> Any:
        return _TransactionContext(_ImmediateTransaction(self), self._lock)


client_class = SqliteClient
