"""Reads that may go to a PostgreSQL streaming standby (`[database] read_url`).

How: `on_replica(read, ...)` runs `read` with the standby's client in place of the "default"
connection, for its task only - Tortoise's own mechanism, the one `in_transaction()` uses to put
a transaction in place of the connection. Every read in `vouchers/` is an ORM query (or raw SQL)
on the default connection, so statistics, the export and the catalogue list run the very same
queries on the standby: no second set of queries, no hand-made pool beside Tortoise's.

Why not a second registered Tortoise connection with a router: with two connections configured,
Tortoise refuses the bare `in_transaction()` every use case calls ("specify connection_name"),
so the standby would have to be named at each of them. Here Tortoise still sees one database.

What never runs on the standby:
- anything outside `on_replica` - every use case that decides a write (claim, sign-up, scan,
  settlement...) reads the primary, whatever ran before it in the request;
- a transaction, even one opened inside `on_replica`: the standby's client opens its
  transactions on the primary (`ReplicaClient._in_transaction`), because a read in a transaction
  exists to decide the transaction's write, and must see the primary's latest rows;
- `on_replica` inside a transaction: it reads the transaction, which sees its own writes.
A write inside `on_replica` but outside a transaction fails loudly: the standby is read-only.

A standby lags (milliseconds normally; as long as an operator pauses replay or the network
stalls): what `on_replica` reads may be that old, which is why only reports and listings use it.

When the standby fails (refused, shut down, cancelled by a recovery conflict, timed out),
`on_replica` runs the read again on the primary - the user gets an answer, never an error - and
further reads skip the standby for `BACKOFF_S`: an outage costs one failed attempt per back-off per
process, and one log line. The standby's client and its back-off state are process-wide, opened
and closed with Tortoise's own connections (`models.database.init_db` / `close_db`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import asyncpg
from tortoise import connections
from tortoise.backends.asyncpg.client import AsyncpgDBClient
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient, TransactionContext
from tortoise.exceptions import DBConnectionError

log = logging.getLogger(__name__)

REPLICA = "replica"  # the standby client's connection name (in Tortoise's logs)
BACKOFF_S = 30.0  # after a failure, reads go to the primary for this long
# An unreachable host (packets dropped) must not hold a user for asyncpg's default 60 s connect
# timeout; and a read on a stalled standby gives up and goes to the primary.
CONNECT_TIMEOUT_S = 3.0
COMMAND_TIMEOUT_S = 30.0
LAGGING_AFTER_S = 5.0  # /healthz calls the standby "lagging" past this (or while replay is paused)

# What a failing standby raises: the connection refused or lost (OSError, asyncpg's connection
# and interface errors), the server shutting down or refusing connections while it starts
# (OperatorInterventionError: 57P01, 57P03), a query cancelled by a recovery conflict (40001,
# TransactionRollbackError), a timeout. Domain errors (NotFound...) pass through untouched.
REPLICA_FAILURES: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncio.TimeoutError,
    DBConnectionError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TransactionRollbackError,
)

P = ParamSpec("P")
T = TypeVar("T")


class ReplicaClient(AsyncpgDBClient):
    """Tortoise's asyncpg client on the standby, except that its transactions run on the primary."""

    def __init__(self, primary: BaseDBAsyncClient, **credentials: Any) -> None:
        super().__init__(**credentials)
        self.primary = primary

    def _in_transaction(self) -> TransactionContext:
        return self.primary._in_transaction()


class Replica:
    """The standby's client, and whether this process reads from it now or backs off."""

    def __init__(self, client: ReplicaClient) -> None:
        self.client = client
        self.down_until = 0.0
        self.in_outage = False  # logged once per outage, cleared by the next good read

    def usable(self) -> bool:
        return time.monotonic() >= self.down_until

    def failed(self, exc: BaseException) -> None:
        self.down_until = time.monotonic() + BACKOFF_S
        if not self.in_outage:
            self.in_outage = True
            log.warning(
                "read replica failed (%s: %s); reading from the primary, trying the replica again every %.0f s",
                type(exc).__name__,
                exc,
                BACKOFF_S,
            )

    def succeeded(self) -> None:
        if self.in_outage:
            self.in_outage = False
            log.warning("read replica answers again; reports read from it")


# Process-wide like Tortoise's own connections, and set and cleared with them.
_replica: Replica | None = None


def open_replica(credentials: dict[str, Any]) -> None:
    """The standby client for this process (no connection yet: opened on its first read, so a
    standby that is down delays no start)."""
    global _replica
    primary = connections.get("default")
    _replica = Replica(ReplicaClient(primary, connection_name=REPLICA, **credentials))


async def close_replica() -> None:
    global _replica
    replica, _replica = _replica, None
    if replica is not None:
        await replica.client.close()


def replica() -> Replica | None:
    """This process's standby; None when no read_url is configured."""
    return _replica


def _inside_transaction() -> bool:
    return isinstance(connections.get("default"), TransactionalDBClient)


async def on_replica(read: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs) -> T:
    """`await read(*args, **kwargs)` with its queries on the standby; on the primary when there is
    none, while it backs off, inside a transaction, or (once more) when it fails during this read.
    `read` must only read: it may run twice."""
    standby = _replica
    if standby is None or not standby.usable() or _inside_transaction():
        return await read(*args, **kwargs)
    token = connections.set("default", standby.client)
    try:
        result = await read(*args, **kwargs)
    except REPLICA_FAILURES as exc:
        standby.failed(exc)
    else:
        standby.succeeded()
        return result
    finally:
        connections.reset(token)
    return await read(*args, **kwargs)


@dataclass(frozen=True)
class ReplicaHealth:
    status: str  # ok, lagging, unreachable, not_standby
    lag_s: float | None = None


# Lag as an operator reads it: 0 when the standby has replayed everything it received, else the
# age of the last transaction it replayed (a standby with nothing new to replay is not behind).
_LAG_SQL = """
SELECT pg_is_in_recovery() AS standby,
       pg_is_in_recovery() AND pg_is_wal_replay_paused() AS paused,
       CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
       END::float8 AS lag_s
"""


async def replica_health(timeout_s: float) -> ReplicaHealth | None:
    """The standby's state for /healthz (None without one). It asks the standby directly, back-off
    or not: the operator wants to know whether it is up now."""
    standby = _replica
    if standby is None:
        return None
    try:
        _, rows = await asyncio.wait_for(standby.client.execute_query(_LAG_SQL), timeout_s)
    except Exception:  # whatever the driver raises, the answer is the same
        return ReplicaHealth("unreachable")
    row = rows[0]
    if not row["standby"]:
        return ReplicaHealth("not_standby")  # promoted, or read_url names a primary
    lag = round(float(row["lag_s"]), 3)
    return ReplicaHealth("lagging" if row["paused"] or lag > LAGGING_AFTER_S else "ok", lag)
