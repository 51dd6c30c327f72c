"""Reminder benchmark: schedule expiry reminders over a million claimed vouchers, then deliver.

1. Loads `--vouchers` claimed vouchers into PostgreSQL (server-side `generate_series`), their ends
   of validity spread evenly over the next `--spread-days` days, so a known share falls in the
   reminder windows (7 and 1 days by default).
2. `sweep_s`: one reminder sweep, as a worker runs it. `second_sweep_s` / `second_scheduled`: the
   same sweep again, which must schedule nothing. `expected` is what the windows hold, counted
   independently; `duplicates` counts (voucher, offset) pairs queued more than once.
3. `deliver_rps`: `--workers` worker loops (separate processes) deliver reminders as mini-program
   subscribe messages to the WeChat sandbox (served by this process, speaking WeChat's protocol)
   for `--deliver-seconds`, under a shared limit of `--rate` messages a second;
   `received_duplicates` counts vouchers the sandbox was sent twice for the same offset.

Prints ONE JSON line on stdout. The database named by PXQ_DATABASE_URL loses its `public` schema
and the Redis db named by PXQ_REDIS_URL is flushed, so by default both are dedicated bench targets.

    .venv/bin/python -m bench.reminders [--vouchers 1000000 --rate 200 --workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from typing import Any

from aiohttp import web

from bench.harness.figures import print_figures, progress
from bench.harness.server import free_port
from bench.harness.stores import check_targets, reset_stores, targets_from_environment

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/pxq_bench_reminders"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
OFFSETS = (7, 1)
APP_ID = "wxbenchminiapp"
APP_SECRET = "bench-secret"
TEMPLATE = "bench-expiry-reminder"


log = progress("reminders")


_LOAD_SQL = """
INSERT INTO person (id_hash, id_cipher, name_cipher, created_at)
SELECT md5('p' || i), 'bench', 'bench', now() FROM generate_series(1, $1) AS i;

INSERT INTO voucher (code, batch_id, person_id, status, voucher_type, automatic, claimed_at, valid_until,
                     updated_at)
SELECT upper(substr(md5('v' || i), 1, 16)),
       $2 + (i - 1) / $1,
       (SELECT min(id) FROM person) + (i - 1) % $1,
       'claimed', '职业培训券', false, now(),
       now() + (i % ($3 * 1440)) * interval '1 minute',
       now()
FROM generate_series(1, $4) AS i;
"""


async def load(database_url: str, vouchers: int, spread_days: int) -> int:
    """Regions, a bureau user, enough batches, persons and vouchers. Returns the expected count."""
    import asyncpg

    from models import Batch, BatchStatus, DistributionMode, ValidityMode, ValueMode
    from models.database import close_db, init_db, migrate
    from peixunquan.demo import load_regions
    from vouchers.common.clock import end_of_local_day, local_date, utcnow
    from vouchers.identity.bureau_auth import create_bureau_user

    await migrate(database_url)
    await init_db(database_url)
    try:
        await load_regions()
        user = await create_bureau_user("bench", "bench-password-not-secret", "320200")
        persons = 20_000
        batches = -(-vouchers // persons)
        first = None
        for n in range(batches):
            batch = await Batch.create(
                title=f"压测批次{n}",
                region_id="320200",
                value_mode=ValueMode.FACE_VALUE,
                face_value_fen=50_000,
                distribution=DistributionMode.GENERAL,
                voucher_type="职业培训券",
                validity_mode=ValidityMode.DAYS_AFTER_CLAIM,
                valid_days=spread_days,
                quantity=persons,
                remaining=0,
                status=BatchStatus.PUBLISHED,
                created_by_id=user.id,
            )
            first = first or batch.id
    finally:
        await close_db()
    conn = await asyncpg.connect(database_url)
    try:
        statements = _LOAD_SQL.strip().split(";\n\n")
        await conn.execute(statements[0], persons)
        await conn.execute(statements[1].rstrip(";"), persons, first, spread_days, vouchers)
        await conn.execute("ANALYZE voucher")
        now = utcnow()
        # The last valid day of a voucher with max(OFFSETS) days left, today counted (as
        # vouchers.notices.reminders.windows and days_left count them).
        upper = end_of_local_day(local_date(now) + timedelta(days=max(OFFSETS) - 1))
        return await conn.fetchval(
            "SELECT count(*) FROM voucher WHERE status = 'claimed' AND valid_until > $1 AND valid_until <= $2",
            now,
            upper,
        )
    finally:
        await conn.close()


async def sweep(database_url: str) -> tuple[int, float]:
    from models.database import close_db, init_db
    from vouchers.common.clock import utcnow
    from vouchers.notices.reminders import schedule_reminders

    await init_db(database_url)
    try:
        started = time.perf_counter()
        scheduled = await schedule_reminders(utcnow(), OFFSETS, 0)
        return scheduled, time.perf_counter() - started
    finally:
        await close_db()


def deliver_process(database_url: str, redis_url: str, url: str, rate: int, seconds: float) -> int:
    return asyncio.run(_deliver(database_url, redis_url, url, rate, seconds))


async def _deliver(database_url: str, redis_url: str, url: str, rate: int, seconds: float) -> int:
    import aiohttp

    from channels.wechat.client import WechatClient
    from channels.wechat.sandbox import SandboxState
    from jobs.delivery import Attempt, Deliverer, DeliverySettings
    from models.database import close_db, init_db
    from peixunquan.redis_client import connect_redis

    await init_db(database_url)
    redis = connect_redis(redis_url)
    naming = SandboxState(apps={})  # the sandbox's deterministic openids, computed here too
    sent = 0
    try:
        async with aiohttp.ClientSession() as http:
            client = WechatClient(http, redis, app_id=APP_ID, secret=APP_SECRET, api_base=url)

            async def route(message: Any) -> list[Attempt]:
                data = {
                    "thing1": "培训券即将到期",
                    "phrase2": "即将过期",
                    "date3": "2026-12-31",
                    "thing4": f"{message.payload['offset_days']}天后到期|{message.voucher_id}",
                }
                openid = naming.openid(APP_ID, f"p{message.person_id}")
                return [Attempt("wechat_miniapp", lambda key: client.send_subscribe(openid, TEMPLATE, data), TEMPLATE)]

            deliverer = Deliverer(
                redis, {"voucher_expiring": route}, per_second=lambda _c: rate, settings=DeliverySettings(batch_size=50)
            )
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                for message in await _lease(deliverer):
                    await deliverer.deliver(message)
                    sent += 1
                    if time.monotonic() >= deadline:
                        break
    finally:
        await redis.aclose()
        await close_db()
    return sent


async def _lease(deliverer: Any) -> list[Any]:
    from vouchers.common.clock import utcnow
    from vouchers.notices import leases as outbox_leases

    return await outbox_leases.lease_due(deliverer.owner, 50, 60, utcnow())


async def serve_sandbox(port: int, persons: list[int]) -> Any:
    """The WeChat sandbox, with every bench person a user who accepted the template for good."""
    from channels.wechat.sandbox import STATE, create_sandbox

    app = create_sandbox({APP_ID: APP_SECRET})
    state = app[STATE]
    for person_id in persons:
        state.long_term.add((APP_ID, state.openid(APP_ID, f"p{person_id}"), TEMPLATE))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return state, runner


async def bench(args: argparse.Namespace, database_url: str, redis_url: str) -> dict[str, Any]:
    log(f"loading {args.vouchers} vouchers")
    started = time.perf_counter()
    expected = await load(database_url, args.vouchers, args.spread_days)
    load_s = time.perf_counter() - started
    log(f"loaded in {load_s:.1f} s; {expected} fall in the reminder windows")
    scheduled, sweep_s = await sweep(database_url)
    log(f"first sweep: {scheduled} reminders in {sweep_s:.2f} s")
    second, second_s = await sweep(database_url)
    log(f"second sweep: {second} in {second_s:.2f} s")

    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        duplicates = await conn.fetchval(
            "SELECT count(*) - count(DISTINCT (voucher_id, payload->>'offset_days')) FROM outbox_message "
            "WHERE kind = 'voucher_expiring'"
        )
    finally:
        await conn.close()

    conn = await asyncpg.connect(database_url)
    try:
        persons = [r["id"] for r in await conn.fetch("SELECT id FROM person")]
    finally:
        await conn.close()
    port = free_port()
    sandbox, runner = await serve_sandbox(port, persons)
    log(f"delivering with {args.workers} workers at {args.rate}/s for {args.deliver_seconds:g} s")
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=ctx) as pool:
        loop = asyncio.get_running_loop()
        jobs = [
            loop.run_in_executor(
                pool,
                deliver_process,
                database_url,
                redis_url,
                f"http://127.0.0.1:{port}",
                args.rate,
                args.deliver_seconds,
            )
            for _ in range(args.workers)
        ]
        sent = sum(await asyncio.gather(*jobs))
    await runner.cleanup()
    messages = [m for m in sandbox.sent if m["kind"] == "subscribe"]
    stamps = [m["msgid"] / 1e6 for m in messages]  # the sandbox's msgid starts with its clock in ms
    keys = Counter(m["data"]["thing4"]["value"] for m in messages)
    # Steady state: skip the first and last second (process start, stop).
    if stamps:
        t0 = min(stamps)
        window = [s for s in stamps if t0 + 1 <= s < t0 + args.deliver_seconds - 1]
        deliver_rps = len(window) / max(1e-9, args.deliver_seconds - 2)
    else:
        deliver_rps = 0.0
    return {
        "vouchers": args.vouchers,
        "expected": expected,
        "scheduled": scheduled,
        "sweep_s": round(sweep_s, 2),
        "second_scheduled": second,
        "second_sweep_s": round(second_s, 2),
        "duplicates": duplicates,
        "rate_limit": args.rate,
        "workers": args.workers,
        "delivered": sent,
        "deliver_rps": round(deliver_rps, 1),
        "received_duplicates": sum(n - 1 for n in keys.values() if n > 1),
        "load_s": round(load_s, 1),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--vouchers", type=int, default=1_000_000)
    p.add_argument("--spread-days", type=int, default=60)
    p.add_argument("--rate", type=int, default=200, help="messages per second, shared by the workers")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--deliver-seconds", type=float, default=8.0)
    p.add_argument("--force", action="store_true", help="allow a database/Redis db not named as a bench target")
    args = p.parse_args()
    env = targets_from_environment(DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL)
    database_url, redis_url = env["PXQ_DATABASE_URL"], env["PXQ_REDIS_URL"]
    check_targets("reminders", database_url, redis_url, args.force)
    asyncio.run(reset_stores(database_url, redis_url))
    figures = asyncio.run(bench(args, database_url, redis_url))
    print_figures(figures)
    ok = figures["second_scheduled"] == 0 and figures["duplicates"] == 0 and figures["scheduled"] == figures["expected"]
    return 0 if ok and figures["received_duplicates"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
