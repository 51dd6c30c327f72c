"""Group commit for scan records: the records of every scan answered while the previous group
was being written go in with one statement and one commit (`infra.grouped`).

Most scans write nothing but their record (a verify, a refusal, a second check-in). One statement
and one commit each made the database round trips, not the scans, the cost of a busy desk. Each
scan still gets its own outcome: its record's id, None when its nonce was used before (then its
answer is the first one, read by the caller), or ReadChanged when it reused a read that is out of
date (then nothing was written, and the caller scans again on a fresh read).
"""

from __future__ import annotations

from typing import Any

from infra.grouped import Grouped
from models.sql.scan import held_connection, insert_scans
from models.sql.scan_rows import ReadChanged, ScanRow


async def _insert_group(conn: Any, rows: list[ScanRow]) -> list[int | BaseException | None]:
    # A nonce twice in one group: the first is written, the others are its replays (None), or
    # are out of date with it (a reused read that has changed).
    unique: dict[tuple[int, str], ScanRow] = {}
    for row in rows:
        unique.setdefault(row.key, row)
    firsts = list(unique.values())
    outcomes = dict(zip((id(r) for r in firsts), await insert_scans(conn, firsts), strict=True))
    return [outcomes[id(row)] if id(row) in outcomes else _repeat_of(outcomes[id(unique[row.key])]) for row in rows]


def _repeat_of(first: int | BaseException | None) -> BaseException | None:
    return ReadChanged() if isinstance(first, ReadChanged) else None


ScanWriter = Grouped[ScanRow, int | None]


def new_scan_writer() -> ScanWriter:
    """One per process, on `Services.scan_writer`."""
    return Grouped(held_connection, _insert_group)
