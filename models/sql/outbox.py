"""Leasing due outbox rows to a worker, in one statement."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.enums import OutboxStatus

# Starts with WITH, not UPDATE: Tortoise's asyncpg client drops the rows of a statement that
# starts with UPDATE, and we need the RETURNING ids. Many workers lease at once without waiting
# on each other (SKIP LOCKED).
_LEASE_SQL = """
WITH due AS (
    SELECT id FROM outbox_message
    WHERE (status = $5 AND next_attempt_at <= $1) OR (status = $6 AND lease_until < $1)
    ORDER BY next_attempt_at
    LIMIT $4
    FOR UPDATE SKIP LOCKED
)
UPDATE outbox_message o SET status = $6, lease_until = $2, lease_owner = $3, attempts = o.attempts + 1
FROM due WHERE o.id = due.id
RETURNING o.id
"""


async def lease_due_ids(db: Any, now: datetime, until: datetime, owner: str, limit: int) -> list[int]:
    """PostgreSQL: the ids of up to `limit` due rows (and rows whose lease ran out), now leased
    to `owner` until `until`; each lease counts an attempt."""
    params = [now, until, owner, limit, str(OutboxStatus.PENDING), str(OutboxStatus.SENDING)]
    _, rows = await db.execute_query(_LEASE_SQL, params)
    return [r["id"] for r in rows]


async def taken_dedupe_keys(db: Any, keys: list[str]) -> set[str]:
    """PostgreSQL: which of `keys` a row already holds (outbox_dedupe, migration 0027)."""
    _, found = await db.execute_query("SELECT dedupe_key FROM outbox_dedupe WHERE dedupe_key = ANY($1)", [keys])
    return {row["dedupe_key"] for row in found}
