"""Queueing expiry reminders for a window of vouchers, in one statement."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.enums import OutboxStatus, VoucherStatus

# The dedupe key is unique: a voucher is reminded once per offset, however many workers sweep.
_QUEUE_SQL = """
WITH queued AS (
    INSERT INTO outbox_message (kind, dedupe_key, person_id, voucher_id, payload, status, attempts,
                                next_attempt_at, created_at)
    SELECT $6::text, 'remind:' || v.id || ':' || $3::int, v.person_id, v.id,
           jsonb_build_object('offset_days', $3::int, 'valid_until', v.valid_until), $8::text, 0, $4, $5
    FROM voucher v
    WHERE v.status = $7 AND v.valid_until > $1 AND v.valid_until <= $2
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING 1
)
SELECT count(*) AS n FROM queued
"""


async def queue_reminders(
    db: Any, kind: str, lower: datetime, upper: datetime, days: int, send_at: datetime, now: datetime
) -> int:
    """PostgreSQL: one `kind` row, due at `send_at`, for each claimed voucher whose validity ends
    in (lower, upper] and has none for `days` yet; how many were new."""
    params = [lower, upper, days, send_at, now, kind, str(VoucherStatus.CLAIMED), str(OutboxStatus.PENDING)]
    _, rows = await db.execute_query(_QUEUE_SQL, params)
    return rows[0]["n"]
