"""Queueing expiry reminders for a window of vouchers, in one statement."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.enums import OutboxStatus, VoucherStatus

# The dedupe key is unique: a voucher is reminded once per offset, however many workers sweep.
# It lives in outbox_dedupe (migration 0027): each row claims its key there first, with the id it
# will get, and goes in only if the claim was its own.
_QUEUE_SQL = """
WITH due AS MATERIALIZED (
    SELECT nextval('outbox_message_id_seq') AS id, 'remind:' || v.id || ':' || $3::int AS dedupe_key,
           v.person_id, v.id AS voucher_id, v.valid_until
    FROM voucher v
    WHERE v.status = $7 AND v.valid_until > $1 AND v.valid_until <= $2
      -- every sweep sees the reminded ones again: no id drawn, no claim tried for them
      AND NOT EXISTS (SELECT 1 FROM outbox_dedupe k WHERE k.dedupe_key = 'remind:' || v.id || ':' || $3::int)
), keys AS (
    INSERT INTO outbox_dedupe (dedupe_key, outbox_id, created_at)
    SELECT dedupe_key, id, $5 FROM due
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING outbox_id
), queued AS (
    INSERT INTO outbox_message (id, kind, dedupe_key, person_id, voucher_id, payload, status, attempts,
                                next_attempt_at, created_at)
    SELECT d.id, $6::text, d.dedupe_key, d.person_id, d.voucher_id,
           jsonb_build_object('offset_days', $3::int, 'valid_until', d.valid_until), $8::text, 0, $4, $5
    FROM due d JOIN keys k ON k.outbox_id = d.id
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
