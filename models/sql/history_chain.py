"""Checking the voucher history's seals (migration 0018_history_chain), on both databases.

The recomputation runs in the database with the function the trigger used (`pxq_history_hash`:
PL/pgSQL on PostgreSQL, `models.history_hash` on SQLite), so a row is judged by the very code
that sealed it. The statements are the same text on both; only the placeholders differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models.database import is_postgres

# A row is checked against the previous row of its voucher: lag() over the voucher's rows in id
# order, which is the order the trigger chained them in. A sealed row whose `prev_hash` is not
# that row's seal ('' for the first row, or after a row from before sealing) follows a row that
# was deleted or re-sealed. A row without a seal written after sealing began lost it.
_CHECK_SQL = """
WITH checked AS (
    SELECT h.id, h.voucher_id, h.row_hash, h.prev_hash,
           CASE WHEN h.row_hash IS NULL THEN NULL
                ELSE pxq_history_hash(h.prev_hash, h.id, h.voucher_id, h.at, h.action, h.actor_kind, h.actor_id,
                                      h.from_status, h.to_status, h.automatic, h.detail) END AS recomputed,
           lag(h.row_hash) OVER (PARTITION BY h.voucher_id ORDER BY h.id) AS before_hash
    FROM voucher_history h
    WHERE h.voucher_id >= {lo} AND ({hi} IS NULL OR h.voucher_id < {hi})
), judged AS (
    SELECT id, voucher_id,
           CASE WHEN row_hash IS NULL THEN 1 ELSE 0 END AS unsealed,
           CASE WHEN row_hash IS NOT NULL AND row_hash <> recomputed THEN 1 ELSE 0 END AS altered,
           CASE WHEN row_hash IS NOT NULL AND coalesce(prev_hash, '-') <> coalesce(before_hash, '')
                THEN 1 ELSE 0 END AS unlinked,
           CASE WHEN row_hash IS NULL AND {sealed_from} IS NOT NULL AND id >= {sealed_from}
                THEN 1 ELSE 0 END AS stripped
    FROM checked
)
SELECT j.id, j.voucher_id, v.code, j.unsealed, j.altered, j.unlinked, j.stripped
FROM judged j JOIN voucher v ON v.id = j.voucher_id
{where}
ORDER BY j.voucher_id, j.id
"""

_COUNT_SQL = """
SELECT count(*) AS checked, coalesce(sum(CASE WHEN row_hash IS NULL THEN 1 ELSE 0 END), 0) AS unsealed
FROM voucher_history WHERE voucher_id >= {lo} AND ({hi} IS NULL OR voucher_id < {hi})
"""

# The first voucher id after `rows` history rows from `start` on: chunks end between two
# vouchers, so a chunk holds whole chains, and about `rows` rows (read from the (voucher_id, id)
# index alone).
_CHUNK_END_SQL = """
SELECT voucher_id FROM voucher_history WHERE voucher_id >= {start} ORDER BY voucher_id, id LIMIT 1 OFFSET {rows}
"""

# The first id the trigger sealed, kept by migration 0018.
_FIRST_SEALED_SQL = "SELECT min(sealed_from) AS id FROM history_sealing"


@dataclass(frozen=True)
class CheckedRow:
    id: int
    voucher_id: int
    voucher_code: str
    unsealed: bool  # written before sealing began
    altered: bool  # its content (or its own seal) no longer matches its seal
    unlinked: bool  # its link to the previous row of the voucher is broken
    stripped: bool  # written after sealing began, yet without a seal

    @property
    def broken(self) -> bool:
        return self.altered or self.unlinked or self.stripped


def _placeholders(db: Any, names: list[str]) -> dict[str, str]:
    """PostgreSQL's $n (typed, as `{x} IS NULL` needs a type there) or SQLite's ?n."""
    if is_postgres(db):
        return {name: f"${i}::bigint" for i, name in enumerate(names, 1)}
    return {name: f"?{i}" for i, name in enumerate(names, 1)}


async def sealed_from(db: Any) -> int | None:
    _, rows = await db.execute_query(_FIRST_SEALED_SQL)
    return rows[0]["id"] if rows else None


async def chunk_end(db: Any, start: int, rows: int) -> int | None:
    """The end (exclusive) of the chunk of vouchers from `start` on, or None for "to the end"."""
    sql = _CHUNK_END_SQL.format(**_placeholders(db, ["start", "rows"]))
    _, found = await db.execute_query(sql, [start, rows])
    if not found:
        return None
    return max(found[0]["voucher_id"], start + 1)  # one voucher with more than `rows` rows


async def next_voucher(db: Any, after: int | None) -> int | None:
    """The smallest voucher id with history rows from `after` on."""
    if after is None:
        _, rows = await db.execute_query("SELECT min(voucher_id) AS id FROM voucher_history")
    else:
        sql = "SELECT min(voucher_id) AS id FROM voucher_history WHERE voucher_id >= {after}"
        _, rows = await db.execute_query(sql.format(**_placeholders(db, ["after"])), [after])
    return rows[0]["id"] if rows else None


async def count_rows(db: Any, lo: int, hi: int | None) -> tuple[int, int]:
    """(rows, rows without a seal) of the vouchers in [lo, hi)."""
    _, rows = await db.execute_query(_COUNT_SQL.format(**_placeholders(db, ["lo", "hi"])), [lo, hi])
    return int(rows[0]["checked"]), int(rows[0]["unsealed"])


async def check_rows(
    db: Any, lo: int, hi: int | None, sealed_from: int | None, *, broken_only: bool
) -> list[CheckedRow]:
    """The rows of the vouchers in [lo, hi), judged; only the broken ones if `broken_only`."""
    names = _placeholders(db, ["lo", "hi", "sealed_from"])
    where = "WHERE j.altered = 1 OR j.unlinked = 1 OR j.stripped = 1" if broken_only else ""
    sql = _CHECK_SQL.format(where=where, **names)
    _, rows = await db.execute_query(sql, [lo, hi, sealed_from])
    return [
        CheckedRow(
            id=r["id"],
            voucher_id=r["voucher_id"],
            voucher_code=r["code"],
            unsealed=bool(r["unsealed"]),
            altered=bool(r["altered"]),
            unlinked=bool(r["unlinked"]),
            stripped=bool(r["stripped"]),
        )
        for r in rows
    ]
