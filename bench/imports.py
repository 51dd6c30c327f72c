"""Import, statistics and export benchmark.

1. `import_s`: a `--roster`-row roster (100,000 by default, CSV as Excel saves it) imported into a
   targeted batch with `peixunquan import-roster FILE --batch ID`, timed as the operator sees it
   (process start to exit, progress bar included).
2. `stats_ms`: `GET /api/v1/admin/statistics` for a city and a year over `--vouchers` vouchers
   (1,000,000 by default, loaded with `COPY`/`generate_series`, spread over the city's batches
   and the year, mixed statuses), served by the server process; the median of `--repeat` calls
   after one warm-up.
3. `export_peak_mb`: the server's peak resident memory (VmHWM, reset just before) while it
   streams the CSV export of every one of those vouchers (`export_rows`, `export_s`); every row
   decrypts an ID number and a name. `server_rss_mb` is the server's resident memory before.

Prints ONE JSON line on stdout. The database named by PXQ_DATABASE_URL loses its `public` schema
and the Redis db named by PXQ_REDIS_URL is flushed, so by default both are dedicated bench targets.

    .venv/bin/python -m bench.imports [--roster 100000 --vouchers 1000000 --repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bench.harness.figures import print_figures, progress
from bench.harness.server import (
    ROOT,
    base_url,
    cli,
    exit_on_sigterm,
    prepare_server_env,
    reset_and_migrate,
    served,
    wait_healthy,
)
from bench.harness.stores import check_targets, targets_from_environment

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/pxq_bench_imports"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/8"
PASSWORD = "bench-password-not-secret"
PERSONS = 50_000  # each person holds one voucher of each of the city's batches
REGIONS = ("320200", "320281", "320282")  # Wuxi, Jiangyin, Yixing


log = progress("imports")


def roster_ids(count: int) -> list[str]:
    """Distinct valid ID numbers: birth dates over 40 years, 900 serials a day."""
    from vouchers.common.personal_data import check_digit

    out = []
    start = date(1970, 1, 1)
    for n in range(count):
        first17 = f"320281{start + timedelta(days=n // 900):%Y%m%d}{n % 900 + 100:03d}"
        out.append(first17 + check_digit(first17))
    return out


def write_roster(path: Path, count: int) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["姓名", "身份证号", "手机号", "培训班"])
    for n, number in enumerate(roster_ids(count)):
        writer.writerow(["李四", number, f"138{n:08d}", "数控车工第一期"])
    path.write_bytes(buffer.getvalue().encode("gbk"))


async def prepare(database_url: str, secret: bytes, year: int, vouchers: int) -> dict[str, Any]:
    """Regions, the bench bureau user, the roster's targeted batch, the city's batches and their
    persons (real ciphertexts, so the export decrypts) and vouchers."""
    import asyncpg

    from models import Batch, BatchStatus, DistributionMode, ValidityMode, ValueMode
    from models.database import close_db, init_db
    from peixunquan.demo import load_regions
    from vouchers.common.personal_data import PersonalDataKeys, check_digit
    from vouchers.identity.bureau_auth import create_bureau_user

    await init_db(database_url)
    try:
        await load_regions()
        user = await create_bureau_user("bench", PASSWORD, "320200")
        common = {
            "voucher_type": "职业培训券",
            "project_types": ["就业技能培训"],
            "created_by_id": user.id,
            "status": BatchStatus.PUBLISHED,
        }
        roster_batch = await Batch.create(
            title="压测：定向券名单导入",
            region_id="320281",
            value_mode=ValueMode.DEDUCTION,
            distribution=DistributionMode.TARGETED,
            validity_mode=ValidityMode.FIXED_DATE,
            valid_until_date=date(year + 1, 12, 31),
            quantity=10_000_000,
            remaining=10_000_000,
            **common,
        )
        batches = []
        for n in range(-(-vouchers // PERSONS)):
            batch = await Batch.create(
                title=f"压测批次{n}",
                region_id=REGIONS[n % len(REGIONS)],
                value_mode=ValueMode.FACE_VALUE,
                face_value_fen=50_000,
                distribution=DistributionMode.GENERAL,
                validity_mode=ValidityMode.DAYS_AFTER_CLAIM,
                valid_days=90,
                quantity=PERSONS,
                remaining=0,
                **common,
            )
            batches.append(batch.id)
    finally:
        await close_db()

    keys = PersonalDataKeys(secret)
    conn = await asyncpg.connect(database_url)
    try:
        records = []
        for n in range(PERSONS):
            first17 = f"320202{date(1960, 1, 1) + timedelta(days=n // 500):%Y%m%d}{n % 500 + 100:03d}"
            number = first17 + check_digit(first17)
            records.append(
                (keys.id_hash(number), keys.encrypt(number, b"id"), keys.encrypt("王小明", b"name"), datetime.now(UTC))
            )
        await conn.copy_records_to_table(
            "person", records=records, columns=["id_hash", "id_cipher", "name_cipher", "created_at"]
        )
        first_person = await conn.fetchval("SELECT min(id) FROM person")
        start = datetime(year, 1, 1, tzinfo=UTC) - timedelta(hours=8)
        # i-th voucher: batch i / PERSONS, person i % PERSONS, claimed at a point of the year;
        # statuses by i % 20: 15 claimed, 2 enrolled, 1 completed, 1 settled, 1 expired.
        await conn.execute(
            """
            INSERT INTO voucher (code, batch_id, person_id, status, voucher_type, eligible_group, automatic,
                                 claimed_at, valid_until, used_at, updated_at)
            SELECT upper(substr(md5('v' || i), 1, 16)),
                   ($1::int[])[1 + (i - 1) / $2],
                   $3 + (i - 1) % $2,
                   CASE WHEN i % 20 < 15 THEN 'claimed' WHEN i % 20 < 17 THEN 'enrolled'
                        WHEN i % 20 = 17 THEN 'completed' WHEN i % 20 = 18 THEN 'settled' ELSE 'expired' END,
                   '职业培训券', '失业人员', i % 3 = 0,
                   c, c + interval '90 days',
                   CASE WHEN i % 20 BETWEEN 15 AND 18 THEN c + interval '7 days' END,
                   c
            FROM (SELECT i, $4::timestamptz + (i % 360) * interval '1 day' + (i % 86400) * interval '1 second' AS c
                  FROM generate_series(1, $5) AS i) AS g
            """,
            batches,
            PERSONS,
            first_person,
            start,
            vouchers,
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return {"roster_batch": roster_batch.id, "batches": len(batches)}


async def login(http: aiohttp.ClientSession, base: str) -> dict[str, str]:
    async with http.post(f"{base}/api/v1/admin/login", json={"username": "bench", "password": PASSWORD}) as r:
        r.raise_for_status()
        return {"Authorization": f"Bearer {(await r.json())['token']}"}


async def time_statistics(http: aiohttp.ClientSession, base: str, headers: dict[str, str], year: int, repeat: int):
    url = f"{base}/api/v1/admin/statistics?year={year}"
    times = []
    body: dict[str, Any] = {}
    for n in range(repeat + 1):
        started = time.perf_counter()
        async with http.get(url, headers=headers) as r:
            r.raise_for_status()
            body = await r.json()
        if n:  # the first call warms caches and the connection pool
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), body


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


async def time_export(http: aiohttp.ClientSession, base: str, headers: dict[str, str], pid: int) -> dict[str, Any]:
    # Reset the peak (VmHWM) to the current RSS. Blocking file calls are fine in a bench.
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # noqa: ASYNC240
    rss_before = _status_kb(pid, "VmRSS")
    started = time.perf_counter()
    rows = 0
    size = 0
    tail = b""
    async with http.get(f"{base}/api/v1/admin/exports/vouchers.csv?all_time=true", headers=headers) as r:
        r.raise_for_status()
        async for chunk in r.content.iter_chunked(1 << 16):
            size += len(chunk)
            rows += chunk.count(b"\n")
            tail = chunk[-200:]
    elapsed = time.perf_counter() - started
    return {
        "export_peak_mb": round(_status_kb(pid, "VmHWM") / 1024, 1),
        "server_rss_mb": round(rss_before / 1024, 1),
        "export_rows": rows - 1,  # the header
        "export_mb": round(size / 1e6, 1),
        "export_s": round(elapsed, 1),
        "export_last_row_ok": tail.rstrip().count(b",") >= 9,
    }


async def bench(args: argparse.Namespace, env: dict[str, str], secret: bytes, tmp: Path) -> dict[str, Any]:
    year = datetime.now(UTC).year
    log(f"loading {args.vouchers} vouchers over {PERSONS} persons")
    started = time.perf_counter()
    prepared = await prepare(env["PXQ_DATABASE_URL"], secret, year, args.vouchers)
    figures: dict[str, Any] = {"load_s": round(time.perf_counter() - started, 1), "vouchers": args.vouchers}

    roster = tmp / "roster.csv"
    write_roster(roster, args.roster)
    log(f"importing a {args.roster}-row roster with the CLI")
    started = time.perf_counter()
    done = subprocess.run(  # noqa: ASYNC221 - nothing else runs meanwhile
        cli("import-roster", str(roster), "--batch", str(prepared["roster_batch"])),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    figures["import_s"] = round(time.perf_counter() - started, 1)
    if done.returncode != 0:
        raise RuntimeError(f"import-roster exited {done.returncode}: {done.stdout[-500:]} {done.stderr[-500:]}")
    figures["import_report"] = done.stdout.splitlines()[0]

    with served(env, tmp / "server.log", log) as server:
        base = base_url(env)
        timeout = aiohttp.ClientTimeout(total=3600)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            await wait_healthy(http, base, server)
            headers = await login(http, base)
            log("statistics")
            stats_ms, body = await time_statistics(http, base, headers, year, args.repeat)
            figures["stats_ms"] = round(stats_ms, 1)
            figures["stats_issued"] = body["region"]["figures"]["issued"]
            log("export")
            figures.update(await time_export(http, base, headers, server.pid))
    figures["targets"] = {"import_s": 60, "stats_ms": 500, "export_peak_mb": 150}
    return figures


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--roster", type=int, default=100_000, help="rows of the imported roster")
    parser.add_argument("--vouchers", type=int, default=1_000_000, help="vouchers for statistics and export")
    parser.add_argument("--repeat", type=int, default=5, help="statistics calls timed (median)")
    parser.add_argument("--force", action="store_true", help="wipe a database whose name lacks 'bench'")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    exit_on_sigterm()
    env = targets_from_environment(DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL)
    check_targets("imports", env["PXQ_DATABASE_URL"], env["PXQ_REDIS_URL"], args.force)
    random.seed(7)
    with tempfile.TemporaryDirectory(prefix="pxq-bench-") as name:
        tmp = Path(name)
        secret = prepare_server_env(env, tmp)
        reset_and_migrate(env, log)
        figures = asyncio.run(bench(args, env, secret, tmp))
    print_figures(figures)
    met = (
        figures["import_s"] <= 60
        and figures["stats_ms"] <= 500
        and figures["export_peak_mb"] <= 150
        and figures["export_rows"] >= args.vouchers
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
