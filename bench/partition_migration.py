"""How long migration 0027 (monthly partitions) holds a database in use: a database at migration
0026 gets `--rows` scan records and as many outbox rows (half with a dedupe key), then the time
of `migrate` to the head is measured, and the rows and keys counted after it.

Prints ONE JSON line. The database (`pxq_bench_partition_migration` on the local PostgreSQL, or
PXQ_DATABASE_URL) is dropped and created again.

    .venv/bin/python -m bench.partition_migration [--rows 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from urllib.parse import urlsplit, urlunsplit

from bench.harness.figures import print_figures, progress
from bench.harness.stores import check_targets, driver_dsn

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/pxq_bench_partition_migration"
BEFORE = "models.0026_statistics_rollup"

log = progress("partition_migration")

_SCANS = """
INSERT INTO scan_record (institution_id, staff_id, nonce, device, action, result, answer, scanned_at, created_at,
                         offline)
SELECT 1, i % 500, 'n' || i, 'd', 'verify', 'ok', '{}', now(), now() - i * interval '1 second', false
FROM generate_series(1, $1) i
"""
_OUTBOX = """
INSERT INTO outbox_message (kind, dedupe_key, payload, status, attempts, next_attempt_at, created_at)
SELECT 'voucher_claimed', CASE WHEN i % 2 = 0 THEN 'k:' || i END, '{}', 'sent', 1, now(),
       now() - i * interval '1 second'
FROM generate_series(1, $1) i
"""


async def fresh(database_url: str) -> None:
    import asyncpg

    parts = urlsplit(driver_dsn(database_url))
    name = parts.path.lstrip("/")
    admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def run(database_url: str, rows: int) -> dict[str, object]:
    import asyncpg

    from models.database import migrate

    await fresh(database_url)
    await migrate(database_url, BEFORE)
    conn = await asyncpg.connect(driver_dsn(database_url))
    try:
        log(f"{rows:,} scan records and {rows:,} outbox rows at migration 0026")
        await conn.execute(_SCANS, rows)
        await conn.execute(_OUTBOX, rows)
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    started = time.perf_counter()
    await migrate(database_url)
    took = time.perf_counter() - started
    conn = await asyncpg.connect(driver_dsn(database_url))
    try:
        tables = ("scan_record", "outbox_message", "scan_record_nonce", "outbox_dedupe")
        counts = {table: await conn.fetchval(f"SELECT count(*) FROM {table}") for table in tables}
    finally:
        await conn.close()
    return {"bench": "partition_migration", "rows": rows, "migrate_s": round(took, 1), **counts}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.partition_migration", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--force", action="store_true", help="allow a database whose name does not say bench")
    args = parser.parse_args(argv)
    database_url = os.environ.get("PXQ_DATABASE_URL", DEFAULT_DATABASE_URL)
    check_targets("partition_migration", database_url, "redis://unused/13", args.force)
    figures = asyncio.run(run(database_url, args.rows))
    print_figures(figures)
    kept = figures["scan_record"] == figures["scan_record_nonce"] == figures["outbox_message"] == args.rows
    return 0 if kept and figures["outbox_dedupe"] == args.rows // 2 else 1


if __name__ == "__main__":
    sys.exit(main())
