"""The scan read, grouped: concurrent scans read their staff members, vouchers (and check-in
context) together, with one statement on a held connection (`infra.grouped`)."""

from __future__ import annotations

from typing import Any

from infra.grouped import Grouped
from models.sql.scan import held_connection, orm_scan_found, scan_rows
from models.sql.scan_rows import ScanFound, ScanKey
from vouchers.common.clock import utcnow

ScanReader = Grouped[ScanKey, ScanFound | None]


async def _read_group(conn: Any, keys: list[ScanKey]) -> list[ScanFound | BaseException | None]:
    now = utcnow()
    if conn is None:  # SQLite: through the ORM, one key at a time
        return [await orm_scan_found(key, now) for key in keys]
    return list(await scan_rows(conn, keys, now))


def new_scan_reader() -> ScanReader:
    """One per process, on `Services.scan_reads`."""
    return Grouped(held_connection, _read_group)
