"""Delivered outbox rows are kept `[worker] outbox_retention_days` (at least 30), then go.

A delivered row (sent, or dead after its last attempt) is the record that a notice went out; the
trainee's notices center and the institution's notice list read it. After the retention nothing
reads it any more. On PostgreSQL whole months go (models.partitions): a month partition whose
last day is older than the retention, and which holds no row still to send, is detached and
dropped, with the dedupe keys and WeChat delivery reports of its rows, so a row is kept between
the retention and the retention plus one month. A month still holding a row to send is kept and
reported. On SQLite the rows themselves are deleted, in chunks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from tortoise import connections

from models import OutboxMessage, WechatDelivery
from models.database import is_postgres
from models.enums import OutboxStatus
from models.partitions import LOCK_TIMEOUT_MS, PARTITION_LOCK, Month, months

log = logging.getLogger(__name__)

DONE = (OutboxStatus.SENT, OutboxStatus.DEAD)
TABLE = "outbox_message"
MIN_RETENTION_DAYS = 30
DETACHED = "outbox_dropping_"  # a detached month, until its keys and reports are gone with it
_CHUNK = 1000


@dataclass
class Purged:
    rows: int = 0
    partitions: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # old enough, but still holding rows to send


async def purge_delivered(now: datetime, keep_days: int) -> Purged:
    cutoff = now - timedelta(days=max(keep_days, MIN_RETENTION_DAYS))
    db = connections.get("default")
    if not is_postgres(db):
        return Purged(rows=await _delete_rows(cutoff))
    async with db.acquire_connection() as conn:
        purged = Purged(rows=await drop_leftovers(conn))
        for month in await _old_months(conn, cutoff):
            await _drop(conn, month, purged)
        purged.rows += await _purge_default(conn, cutoff)
        return purged


async def _old_months(conn: Any, cutoff: datetime) -> list[Month]:
    """Month partitions that ended before the cutoff, and the legacy one if the first month
    began before it (the legacy partition holds only rows from before that month)."""
    found = await months(conn, TABLE)
    old = [m for m in found if m.end <= cutoff]
    legacy = f"{TABLE}_plegacy"
    if found and found[0].start <= cutoff and await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", legacy):
        old.insert(0, Month(TABLE, legacy, datetime.min.replace(tzinfo=UTC), found[0].start))
    return old


async def _drop(conn: Any, month: Month, purged: Purged) -> None:
    """Detach the month in a short transaction that takes the locks in the order every outbox
    statement takes them (the table, then its partitions), then clean up and drop it outside.
    A busy table is left for the next run (lock_timeout) rather than waited on."""
    pending = [OutboxStatus.PENDING.value, OutboxStatus.SENDING.value]
    detached = f"{DETACHED}{month.name.removeprefix(TABLE + '_')}"
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", PARTITION_LOCK)
            if not await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", month.name):
                return  # another worker dropped it meanwhile
            await conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_MS}ms'")
            await conn.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
            still = f"SELECT EXISTS (SELECT 1 FROM {month.name} WHERE status = ANY($1::text[]))"
            if await conn.fetchval(still, pending):
                log.warning("outbox retention: %s is past the retention but still holds rows to send: kept", month.name)
                purged.kept.append(month.name)
                return
            await conn.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {month.name}")
            await conn.execute(f"ALTER TABLE {month.name} RENAME TO {detached}")
    except asyncpg.LockNotAvailableError:
        log.info("outbox retention: %s busy, left for the next run", TABLE)
        return
    purged.rows += await _drop_detached(conn, detached)
    purged.partitions.append(month.name)


async def drop_leftovers(conn: Any) -> int:
    """Months detached by a run that stopped before dropping them."""
    names = await conn.fetch(
        "SELECT relname FROM pg_class WHERE starts_with(relname, $1) AND relkind = 'r' "
        "AND relnamespace = current_schema()::regnamespace",
        DETACHED,
    )
    return sum([await _drop_detached(conn, row["relname"]) for row in names])


async def _drop_detached(conn: Any, name: str) -> int:
    """A detached month: its rows' dedupe keys and WeChat delivery reports, then the table."""
    async with conn.transaction():
        rows = await conn.fetchval(f"SELECT count(*) FROM {name}")
        await conn.execute(f"DELETE FROM outbox_dedupe d USING {name} o WHERE d.outbox_id = o.id")
        await conn.execute(f"DELETE FROM wechat_delivery w USING {name} o WHERE w.outbox_id = o.id")
        await conn.execute(f"DROP TABLE {name}")
    return rows


async def _purge_default(conn: Any, cutoff: datetime) -> int:
    """Rows the default partition took (no month partition existed for them) go one by one."""
    done = [s.value for s in DONE]
    async with conn.transaction():
        ids = await conn.fetch(
            f"SELECT id FROM {TABLE}_pdefault WHERE created_at < $1 AND status = ANY($2::text[])", cutoff, done
        )
        ids = [row["id"] for row in ids]
        if ids:
            await conn.execute("DELETE FROM outbox_dedupe WHERE outbox_id = ANY($1::bigint[])", ids)
            await conn.execute("DELETE FROM wechat_delivery WHERE outbox_id = ANY($1::bigint[])", ids)
            await conn.execute(f"DELETE FROM {TABLE}_pdefault WHERE id = ANY($1::bigint[])", ids)
    return len(ids)


async def _delete_rows(cutoff: datetime) -> int:
    deleted = 0
    while True:
        old = OutboxMessage.filter(created_at__lt=cutoff, status__in=DONE).order_by("id").limit(_CHUNK)
        ids = await old.values_list("id", flat=True)
        if not ids:
            return deleted
        await WechatDelivery.filter(outbox_id__in=ids).delete()
        deleted += await OutboxMessage.filter(id__in=ids).delete()
