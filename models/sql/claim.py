"""The claim's writes as one PostgreSQL statement.

Take one unit of stock, insert the voucher, its history row and its outbox row in a single
statement. Run on its own (autocommit) the hot batch row is locked only while PostgreSQL executes
it, never across a round trip to a busy event loop; that is what lets a rush sell out quickly.
If the voucher insert hits the unique index over (batch, person) the whole statement, stock
included, rolls back; a person who returned a voucher of the batch takes no stock, unless the
batch allows claiming again.
SQLite has no data-modifying CTEs, so it keeps the ORM path in `vouchers.claiming.claim`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from tortoise.exceptions import IntegrityError

from models.batches import BatchStatus
from models.enums import OutboxStatus, VoucherStatus

_SQL = """
WITH returned AS (
    SELECT 1 FROM voucher v JOIN batch b ON b.id = v.batch_id
    WHERE v.batch_id = $1 AND v.person_id = $3 AND v.status = 'returned' AND NOT b.allow_reclaim_after_return
    LIMIT 1
), taken AS (
    UPDATE batch SET remaining = remaining - 1
    WHERE id = $1 AND status = $12::text AND remaining > 0 AND NOT EXISTS (SELECT 1 FROM returned)
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
    SELECT 'voucher_claimed', $3, new_voucher.id, '{}'::jsonb, $13::text, 0, $8, $8 FROM new_voucher
)
SELECT (SELECT id FROM new_voucher) AS id, EXISTS (SELECT 1 FROM returned) AS returned
"""


# Many claims of one batch in one statement and one commit. A commit waits for the WAL flush
# (about 2 ms on this kind of disk) while holding the batch row, so one claim per commit caps a
# rush at a few hundred claims a second; a group shares that wait. Persons who already hold a
# voucher of the batch are left out (`fresh`), and so are those who returned one (退券) unless the
# batch allows claiming again; the stock is taken for all the others or for none.
_GROUP_SQL = """
WITH input AS (
    SELECT * FROM unnest($2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::timestamptz[],
                         $7::timestamptz[], $8::text[])
        AS i(code, person_id, eligible_group, account_id, claimed_at, valid_until, detail)
), fresh AS (
    -- A LATERAL probe per claimant: as NOT EXISTS, PostgreSQL read every voucher of the batch
    -- for each group (an anti-join), which grows with what the rush has already issued.
    SELECT i.* FROM input i
    LEFT JOIN LATERAL (
        SELECT 1 AS held FROM voucher v
        WHERE v.batch_id = $1 AND v.person_id = i.person_id
          AND (v.status <> 'returned' OR NOT (SELECT allow_reclaim_after_return FROM batch WHERE id = $1))
        LIMIT 1
    ) h ON true
    WHERE h.held IS NULL
), taken AS (
    UPDATE batch SET remaining = remaining - (SELECT count(*) FROM fresh)
    WHERE id = $1 AND status = $11::text AND remaining >= (SELECT count(*) FROM fresh)
    RETURNING id
), new_voucher AS (
    INSERT INTO voucher (code, batch_id, person_id, status, voucher_type, eligible_group, automatic,
                         claimed_via_id, claimed_at, valid_until, updated_at)
    SELECT f.code, taken.id, f.person_id, $9, $10, f.eligible_group, false, f.account_id, f.claimed_at,
           f.valid_until, f.claimed_at
    FROM fresh f CROSS JOIN taken
    RETURNING id, person_id, claimed_via_id, claimed_at
), history AS (
    INSERT INTO voucher_history (voucher_id, at, action, actor_kind, actor_id, from_status, to_status,
                                 automatic, detail)
    SELECT n.id, n.claimed_at, 'claimed', 'trainee', n.claimed_via_id::text, NULL, $9, false, f.detail::jsonb
    FROM new_voucher n JOIN fresh f ON f.person_id = n.person_id
), notice AS (
    INSERT INTO outbox_message (kind, person_id, voucher_id, payload, status, attempts, next_attempt_at,
                                created_at)
    SELECT 'voucher_claimed', n.person_id, n.id, '{}'::jsonb, $12::text, 0, n.claimed_at, n.claimed_at
    FROM new_voucher n
)
SELECT (SELECT count(*) FROM taken) AS took,
       (SELECT coalesce(array_agg(person_id ORDER BY person_id), '{}') FROM new_voucher) AS persons,
       (SELECT coalesce(array_agg(id ORDER BY person_id), '{}') FROM new_voucher) AS ids
"""


@dataclass(frozen=True)
class ClaimRow:
    code: str
    person_id: int
    eligible_group: str | None
    account_id: int
    claimed_at: datetime
    valid_until: datetime
    detail_json: str


async def insert_claims(
    conn: asyncpg.Connection, batch_id: int, voucher_type: str, rows: list[ClaimRow]
) -> dict[int, int] | None:
    """{person_id: voucher id} for the persons who got a voucher (those left out already held
    one), or None when the stock did not cover them all (nothing was written). Raises
    IntegrityError when a concurrent claim of one of them won the race.

    `conn` is an asyncpg connection the caller holds (see `vouchers.claiming.writer`)."""
    row = await _fetchrow(
        conn,
        _GROUP_SQL,
        batch_id,
        [r.code for r in rows],
        [r.person_id for r in rows],
        [r.eligible_group for r in rows],
        [r.account_id for r in rows],
        [r.claimed_at for r in rows],
        [r.valid_until for r in rows],
        [r.detail_json for r in rows],
        str(VoucherStatus.CLAIMED),
        voucher_type,
        str(BatchStatus.PUBLISHED),
        str(OutboxStatus.PENDING),
    )
    if not row["took"]:
        return None
    return dict(zip(row["persons"], row["ids"], strict=True))


async def insert_claim(
    conn: asyncpg.Connection,
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
    """The new voucher's id, or None when no stock was left. Raises IntegrityError on a duplicate,
    and for a person who returned a voucher of a batch that may not be claimed again."""
    row = await _fetchrow(
        conn,
        _SQL,
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
        str(BatchStatus.PUBLISHED),
        str(OutboxStatus.PENDING),
    )
    if row["returned"]:
        raise IntegrityError("returned a voucher of this batch")
    return row["id"]


async def _fetchrow(conn: asyncpg.Connection, sql: str, *args: Any) -> Any:
    try:
        return await conn.fetchrow(sql, *args)
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise IntegrityError(exc) from exc  # what the ORM paths raise, so callers catch one thing
