"""Group commit for scan records: the records of every scan answered while the previous group
was being written go in with one statement and one commit (`vouchers.grouped`).

Most scans write nothing but their record (a verify, a refusal, a second check-in). One statement
and one commit each made the database round trips, not the scans, the cost of a busy desk. Each
scan still gets its own outcome: its record's id, or None when its nonce was used before (then
its answer is the first one, read by the caller).
"""

from __future__ import annotations

from typing import Any

from models.scan_statements import ScanRow, held_connection, insert_scans
from vouchers.grouped import Grouped


async def _insert_group(conn: Any, rows: list[ScanRow]) -> list[int | BaseException | None]:
    # A nonce twice in one group: the first is written, the others are its replays (None).
    unique: dict[tuple[int, str], ScanRow] = {}
    for row in rows:
        unique.setdefault((row.staff_id, row.nonce), row)
    firsts = list(unique.values())
    ids = dict(zip((id(r) for r in firsts), await insert_scans(conn, firsts), strict=True))
    return [ids.get(id(row)) for row in rows]


writer: Grouped[ScanRow, int | None] = Grouped(held_connection, _insert_group)
