"""Statistics benchmark: the bureau's yearly statistics at 1 and at 10 million vouchers.

1. Loads `--small` vouchers of this year into PostgreSQL (server-side `generate_series`) across
   `--batches` batches of Wuxi and two of its districts: claimed on days spread over the year, a
   share enrolled, a share expired, a share given back. The load runs with triggers off (as a
   restore would), then fills `statistics_day` from the recount view, as
   `peixunquan verify-statistics --repair` does; `rollup_differences` checks it equals the recount.
2. `stats_ms_1m`: the median time of `region_statistics` for the year (what `GET
   /api/v1/admin/statistics` runs), read from the rollups; `count_ms_1m`: the same figures counted
   from the rows, as before the rollups (and as SQLite still does).
3. Adds vouchers up to `--large`, rebuilds the rollups, and measures again: `stats_ms_10m`,
   `count_ms_10m`. `ratio` = stats_ms_10m / stats_ms_1m (the target is at most 1.5);
   `count_ratio` shows what counting the rows would cost instead. `same_figures` says the rollups
   and the count agree at both sizes.

Prints ONE JSON line on stdout. The database named by PXQ_DATABASE_URL loses its `public` schema
and the Redis db named by PXQ_REDIS_URL is flushed (Redis is not used otherwise).

    .venv/bin/python -m bench.statistics [--small 1000000 --large 10000000 --repeat 9]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bench.harness.figures import print_figures, progress
from bench.harness.stores import check_targets, driver_dsn, reset_stores, targets_from_environment

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/pxq_bench_statistics"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
REGIONS = ("320200", "320281", "320282")  # Wuxi, Jiangyin, Yixing

log = progress("statistics")

# Vouchers i in [first, last]: batch i mod batches, claimed on one of 330 days of the year (every
# batch on every day, so the rollups hold a row per batch and day), 1 in 5 enrolled, 1 in 10
# expired, 1 in 50 given back; each person holds one voucher of each batch at most.
_VOUCHERS = """
INSERT INTO voucher (code, batch_id, person_id, status, voucher_type, automatic, claimed_at, valid_until, used_at,
                     updated_at)
SELECT upper(substr(md5('v' || i), 1, 16)),
       $3 + i % $4,
       $5 + i / $4,
       CASE WHEN i % 5 = 0 THEN 'enrolled' WHEN i % 10 = 1 THEN 'expired' WHEN i % 50 = 3 THEN 'returned'
            ELSE 'claimed' END,
       '职业培训券', i % 7 = 0,
       $6::timestamptz + (i / $4 % 330) * interval '1 day' + (i % 1440) * interval '1 minute',
       $6::timestamptz + (i / $4 % 330 + 30) * interval '1 day',
       CASE WHEN i % 5 = 0 THEN $6::timestamptz + (i / $4 % 330 + 3) * interval '1 day' END,
       now()
FROM generate_series($1::bigint, $2::bigint) AS i
"""


async def setup(database_url: str, batches: int, persons: int) -> tuple[int, int]:
    """Regions, a bureau user, the batches and the persons. Returns (first batch id, first person id)."""
    import asyncpg

    from models import Batch, BatchStatus, DistributionMode, ValidityMode, ValueMode
    from models.database import close_db, init_db, migrate
    from peixunquan.demo import load_regions
    from vouchers.identity.bureau_auth import create_bureau_user

    await migrate(database_url)
    await init_db(database_url)
    try:
        await load_regions()
        user = await create_bureau_user("bench", "bench-password-not-secret", "320200")
        ids = []
        for n in range(batches):
            batch = await Batch.create(
                title=f"压测批次{n}",
                region_id=REGIONS[n % len(REGIONS)],
                value_mode=ValueMode.FACE_VALUE,
                face_value_fen=50_000,
                distribution=DistributionMode.GENERAL,
                voucher_type="职业培训券",
                validity_mode=ValidityMode.DAYS_AFTER_CLAIM,
                valid_days=30,
                quantity=10_000_000,
                remaining=0,
                status=BatchStatus.PUBLISHED,
                created_by_id=user.id,
            )
            ids.append(batch.id)
    finally:
        await close_db()
    conn = await asyncpg.connect(driver_dsn(database_url))
    try:
        await conn.execute(
            "INSERT INTO person (id_hash, id_cipher, name_cipher, created_at)"
            " SELECT md5('p' || i), 'bench', 'bench', now() FROM generate_series(1, $1) AS i",
            persons,
        )
        first_person = await conn.fetchval("SELECT min(id) FROM person")
    finally:
        await conn.close()
    assert ids == list(range(ids[0], ids[0] + batches))
    return ids[0], first_person


async def load(database_url: str, first: int, last: int, batch: int, batches: int, person: int) -> float:
    """Vouchers first..last, written in chunks with triggers off; then the rollups rebuilt."""
    import asyncpg

    year_start = datetime(datetime.now(UTC).year, 1, 1, tzinfo=UTC)
    conn = await asyncpg.connect(driver_dsn(database_url))
    started = time.perf_counter()
    try:
        await conn.execute("SET session_replication_role = replica")  # no triggers: a bulk restore
        chunk = 1_000_000
        for low in range(first, last + 1, chunk):
            high = min(low + chunk - 1, last)
            await conn.execute(_VOUCHERS, low, high, batch, batches, person, year_start)
            log(f"vouchers {high:,} loaded")
        await conn.execute("SET session_replication_role = origin")
        await conn.execute("ANALYZE voucher")
    finally:
        await conn.close()
    from models.database import close_db, init_db
    from vouchers.reporting.rollup_check import rebuild_rollup

    await init_db(database_url)
    try:
        rows = await rebuild_rollup()
        log(f"rollups rebuilt: {rows:,} rows")
    finally:
        await close_db()
    return time.perf_counter() - started


async def measure(database_url: str, repeat: int) -> dict[str, Any]:
    """Median ms of the year's statistics from the rollups and counted from the rows; whether the
    two agree; and (at the small size) whether the rollups equal the recount."""
    from models import Batch, BureauUser
    from models.database import close_db, init_db
    from vouchers.reporting.statistics import Period, counted_figures, region_statistics, rolled_up_figures

    await init_db(database_url)
    try:
        user = await BureauUser.get(username="bench").prefetch_related("region")
        period = Period(datetime.now(UTC).year)
        ids = list(await Batch.all().values_list("id", flat=True))
        stats_s = []
        for _ in range(repeat):
            started = time.perf_counter()
            await region_statistics(user, None, period)
            stats_s.append(time.perf_counter() - started)
        count_s = []
        for _ in range(max(3, repeat // 3)):
            started = time.perf_counter()
            counted = await counted_figures(ids, period)
            count_s.append(time.perf_counter() - started)
        rolled = await rolled_up_figures(ids, period)
        same = all({k: counted.get(b, {}).get(k, 0) for k in rolled[b]} == rolled[b] for b in rolled) and set(
            rolled
        ) == set(counted)
        return {
            # The machine's load while measuring: a shared machine's other work shows in the times.
            "load_1m": round(os.getloadavg()[0], 2),
            "stats_ms": round(statistics.median(stats_s) * 1000, 1),
            "count_ms": round(statistics.median(count_s) * 1000, 1),
            "same_figures": same,
            "issued": sum(f["issued"] for f in rolled.values()),
        }
    finally:
        await close_db()


async def differences(database_url: str) -> int:
    from models.database import close_db, init_db
    from vouchers.reporting.rollup_check import rollup_differences

    await init_db(database_url)
    try:
        return len(await rollup_differences())
    finally:
        await close_db()


async def main(args: argparse.Namespace) -> int:
    env = targets_from_environment(DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL)
    database_url, redis_url = env["PXQ_DATABASE_URL"], env["PXQ_REDIS_URL"]
    check_targets("statistics", database_url, redis_url, args.force)
    await reset_stores(database_url, redis_url)
    batch, person = await setup(database_url, args.batches, args.large // args.batches + 1)
    small_load_s = await load(database_url, 1, args.small, batch, args.batches, person)
    small = await measure(database_url, args.repeat)
    small_differences = await differences(database_url)
    log(f"at {args.small:,}: {small}")
    large_load_s = await load(database_url, args.small + 1, args.large, batch, args.batches, person)
    large = await measure(database_url, args.repeat)
    log(f"at {args.large:,}: {large}")
    figures = {
        "bench": "statistics",
        "small": args.small,
        "large": args.large,
        "batches": args.batches,
        "stats_ms_small": small["stats_ms"],
        "stats_ms_large": large["stats_ms"],
        "ratio": round(large["stats_ms"] / small["stats_ms"], 2),
        "count_ms_small": small["count_ms"],
        "count_ms_large": large["count_ms"],
        "count_ratio": round(large["count_ms"] / small["count_ms"], 2),
        "load_small": small["load_1m"],
        "load_large": large["load_1m"],
        "same_figures": small["same_figures"] and large["same_figures"],
        "rollup_differences_small": small_differences,
        "issued_small": small["issued"],
        "issued_large": large["issued"],
        "load_s": round(small_load_s + large_load_s, 1),
        "repeat": args.repeat,
    }
    print_figures(figures)
    return 0 if figures["same_figures"] and small_differences == 0 else 1


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.statistics", description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1_000_000)
    parser.add_argument("--large", type=int, default=10_000_000)
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=9, help="statistics runs per size (the median is reported)")
    parser.add_argument("--force", action="store_true", help="allow targets whose names do not say bench")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse(sys.argv[1:]))))
