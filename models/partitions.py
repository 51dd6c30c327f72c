"""The monthly partitions of the tables that only grow (migration 0027), on PostgreSQL.

A month partition is `<table>_pYYYYMM`, for [the first of the month, the first of the next) in
UTC. Before the first of them lies `<table>_plegacy` (the table as it was before partitioning);
`<table>_pdefault` takes rows dated where no month partition exists yet (a worker that did not
run for months, a clock far ahead). Creating a month moves such rows out of the default partition
into it, so rows never stay there for a month that has its partition.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

log = logging.getLogger(__name__)

# table -> the column it is partitioned by
PARTITIONED = {"scan_record": "created_at", "voucher_history": "at", "outbox_message": "created_at"}
# What stays one per key across months, each in a table of its own (no model: PostgreSQL only):
# a staff member's nonce, an outbox dedupe key, a voucher's history chain head.
KEY_TABLES = ("scan_record_nonce", "outbox_dedupe", "voucher_history_head")
AHEAD_MONTHS = 2  # months created beyond the current one
LOCK_TIMEOUT_MS = 2000
PARTITION_LOCK = 0x7078_7170  # the advisory lock that keeps two workers from changing partitions at once
# Tables whose old months are dropped (vouchers.notices.outbox_retention): a month before the
# current one is never made again for them, as its absence is the retention's doing.
RETAINED = ("outbox_message",)

_PARTITIONS_SQL = """
SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = $1::regclass ORDER BY c.relname
"""


def month_start(at: datetime, months: int = 0) -> datetime:
    """The first instant (UTC) of the month `months` after the one holding `at`."""
    at = at.astimezone(UTC)
    index = at.year * 12 + at.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def month_name(table: str, start: datetime) -> str:
    return f"{table}_p{start:%Y%m}"


def month_of(table: str, name: str) -> datetime | None:
    """The first instant of a month partition's month; None for the legacy and default ones."""
    suffix = name.removeprefix(f"{table}_p")
    if len(suffix) != 6 or not suffix.isdigit():
        return None
    return datetime(int(suffix[:4]), int(suffix[4:]), 1, tzinfo=UTC)


@dataclass(frozen=True)
class Month:
    table: str
    name: str
    start: datetime
    end: datetime


async def months(conn: Any, table: str) -> list[Month]:
    """The table's month partitions, oldest first."""
    found = []
    for row in await conn.fetch(_PARTITIONS_SQL, table):
        start = month_of(table, row["name"])
        if start is not None:
            found.append(Month(table, row["name"], start, month_start(start, 1)))
    return sorted(found, key=lambda m: m.start)


async def ensure_months(conn: Any, now: datetime, ahead: int = AHEAD_MONTHS) -> list[str]:
    """Every month partition from the first one to `ahead` months after `now`'s, for each table
    (a gap left by a worker that did not run is filled too). -> the partitions created. `conn` is
    an asyncpg connection."""
    created = []
    for table, column in PARTITIONED.items():
        existing = await months(conn, table)
        first = existing[0].start if existing else month_start(now)
        if table in RETAINED:
            first = max(first, month_start(now))
        start, last = first, month_start(now, ahead)
        have = {m.start for m in existing}
        while start <= last:
            try:
                made = start not in have and await _create_month(conn, table, column, start)
            except asyncpg.LockNotAvailableError:
                log.info("month partitions: %s busy, %s left for the next run", table, month_name(table, start))
                break
            if made:
                created.append(month_name(table, start))
            start = month_start(start, 1)
    return created


async def _create_month(conn: Any, table: str, column: str, start: datetime) -> bool:
    """One month partition, with the rows the default partition holds for that month moved in.
    The default partition is locked meanwhile, so no row for that month lands there between the
    move and the attach (which checks it)."""
    name, end = month_name(table, start), month_start(start, 1)
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", PARTITION_LOCK)
        if await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", name):
            return False  # another worker made it meanwhile
        # Not behind a long transaction: every statement that reads the default partition would
        # queue behind this lock meanwhile. Months are made two ahead: the next run tries again.
        await conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_MS}ms'")
        await conn.execute(f"LOCK TABLE {table}_pdefault IN ACCESS EXCLUSIVE MODE")
        await conn.execute(
            f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING STORAGE INCLUDING COMMENTS)"
        )
        await conn.execute(
            f"WITH moved AS (DELETE FROM {table}_pdefault WHERE {column} >= $1 AND {column} < $2 RETURNING *) "
            f"INSERT INTO {name} SELECT * FROM moved",
            start,
            end,
        )
        bounds = f"FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        await conn.execute(f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES {bounds}")
    return True
