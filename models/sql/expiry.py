"""One chunk of the expiry sweep in one statement: status, history row and notice together."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.enums import OutboxStatus, VoucherStatus

# $1 now, $2 chunk size, $3 from status, $4 to status, $5 history action, $6 outbox kind,
# $7 batch ids the sweep may touch (NULL: every batch), $8 the actor kind, $9 the notice's status.
_SWEEP_SQL = """
WITH due AS (
    SELECT id FROM voucher
    WHERE status = $3 AND valid_until <= $1 AND ($7::bigint[] IS NULL OR batch_id = ANY($7::bigint[]))
    ORDER BY id
    LIMIT $2
    FOR UPDATE SKIP LOCKED
), changed AS (
    UPDATE voucher v SET status = $4, updated_at = $1 FROM due WHERE v.id = due.id
    RETURNING v.id, v.person_id
), history AS (
    INSERT INTO voucher_history (voucher_id, at, action, actor_kind, actor_id, from_status, to_status,
                                 automatic, detail)
    SELECT id, $1, $5, $8::text, NULL, $3, $4, true, '{}'::jsonb FROM changed
), notices AS MATERIALIZED (
    SELECT nextval('outbox_message_id_seq') AS id, $6::text || ':' || id AS dedupe_key, person_id, id AS voucher_id
    FROM changed
), keys AS (
    -- A key already taken (a notice queued before) is skipped: the dedupe key lives in
    -- outbox_dedupe (migration 0027), claimed here with the id the row will get.
    INSERT INTO outbox_dedupe (dedupe_key, outbox_id, created_at)
    SELECT dedupe_key, id, $1 FROM notices
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING outbox_id
), notice AS (
    INSERT INTO outbox_message (id, kind, dedupe_key, person_id, voucher_id, payload, status, attempts,
                                next_attempt_at, created_at)
    SELECT n.id, $6::text, n.dedupe_key, n.person_id, n.voucher_id, '{}'::jsonb, $9::text, 0, $1, $1
    FROM notices n JOIN keys k ON k.outbox_id = n.id
)
SELECT count(*) AS n FROM changed
"""


async def sweep_chunk(
    db: Any,
    now: datetime,
    chunk: int,
    before: VoucherStatus,
    after: VoucherStatus,
    action: str,
    kind: str,
    batch_ids: list[int] | None,
    actor_kind: str,
) -> int:
    """PostgreSQL: up to `chunk` vouchers in `before` whose validity ended move to `after`, each
    with its history row and notice; rows other sweeps hold are skipped. How many moved."""
    params = [now, chunk, str(before), str(after), action, kind, batch_ids, actor_kind, str(OutboxStatus.PENDING)]
    _, rows = await db.execute_query(_SWEEP_SQL, params)
    return rows[0]["n"]
