"""The claim's writes as one PostgreSQL statement.

Take one unit of stock, insert the voucher, its history row and its outbox row in a single
statement. Run on its own (autocommit) the hot batch row is locked only while PostgreSQL executes
it, never across a round trip to a busy event loop; that is what lets a rush sell out quickly.
If the voucher insert hits unique(batch, person) the whole statement, stock included, rolls back.
SQLite has no data-modifying CTEs, so it keeps the ORM path in `vouchers.claim`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.enums import VoucherStatus

_SQL = """
WITH taken AS (
    UPDATE batch SET remaining = remaining - 1
    WHERE id = $1 AND status = 'published' AND remaining > 0
    RETURNING id
), new_voucher AS (
    INSERT INTO voucher (code, batch_id, person_id, status, voucher_type, eligible_group, automatic,
                         claimed_via_id, claimed_at, valid_until, updated_at)
    SELECT $2, taken.id, $3, $4, $5, $6, false, $7, $8, $9, $8 FROM taken
    RETURNING id
), history AS (
    INSERT INTO voucher_history (voucher_id, at, action, actor_kind, actor_id, from_status, to_status,
                                 automatic, detail)
    SELECT new_voucher.id, $8, 'claimed', 'trainee', $10, NULL, $4, false, $11::jsonb FROM new_voucher
), notice AS (
    INSERT INTO outbox_message (kind, person_id, voucher_id, payload, status, attempts, next_attempt_at,
                                created_at)
    SELECT 'voucher_claimed', $3, new_voucher.id, '{}'::jsonb, 'pending', 0, $8, $8 FROM new_voucher
)
SELECT id FROM new_voucher
"""


def supports_claim_statement(conn: Any) -> bool:
    return conn.capabilities.dialect == "postgres"


async def insert_claim(
    conn: Any,
    *,
    batch_id: int,
    code: str,
    person_id: int,
    voucher_type: str,
    eligible_group: str | None,
    account_id: int,
    claimed_at: datetime,
    valid_until: datetime,
    detail_json: str,
) -> int | None:
    """The new voucher's id, or None when no stock was left. Raises IntegrityError on a duplicate."""
    _, rows = await conn.execute_query(
        _SQL,
        [
            batch_id,
            code,
            person_id,
            str(VoucherStatus.CLAIMED),
            voucher_type,
            eligible_group,
            account_id,
            claimed_at,
            valid_until,
            str(account_id),
            detail_json,
        ],
    )
    return rows[0]["id"] if rows else None
