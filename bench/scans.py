"""Scan benchmark: institutions verifying and checking in trainees at the desk, all at once.

Starts `peixunquan serve` as its own process against PostgreSQL and Redis (as
bench/claim_rush.py does, whose server, store and CPU helpers it reuses), loads trainees with
claimed vouchers, an institution with scanning staff and a class with a lesson open now, enrols
every voucher, then drives load from a separate generator process:

1. `bare`: GET /api/v1/ping, what this machine, server and generator can do at all;
2. `verify`: POST /api/v1/scans action verify, a random voucher's fresh QR, a fresh nonce;
3. `checkin`: the same with action checkin (the first of each voucher checks in, the rest
   answer already_checked_in, as at a real desk where people scan twice);
   (bare, then `--cycles` times verify, checkin, bare: each ratio is a scan phase's rate to the
   mean of the bare phases either side of it, and the ratio printed is the median over cycles);
4. `repeat`: a few not yet enrolled vouchers enrolled and checked in by many clients at once,
   a third of the requests re-sending a nonce already used: `duplicate_rows` counts enrolments,
   attendance rows and scan records that should not exist twice.

Prints ONE JSON line (progress on stderr); exits 1 if any duplicate row is found or a scan was
answered with an unexpected status.

    .venv/bin/python bench/scans.py [--trainees 1000 --concurrency 64 --seconds 6 --cycles 3 ...]

The database named by PXQ_DATABASE_URL loses its `public` schema and the Redis db named by
PXQ_REDIS_URL is flushed, so by default both are dedicated bench targets.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import claim_rush as cr

ROOT = cr.ROOT
DEFAULT_DATABASE_URL = cr.default_database_url("pxq_bench_scans")
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
STAFF_PASSWORD = "bench-staff-password"
BUCKET_S = cr.BUCKET_S


def log(message: str) -> None:
    print(f"[scans] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Load generator (child process): claim_rush's raw keep-alive client, but every scan request is
# encoded on the fly with its own nonce (a fixed body would only measure nonce replays).


@dataclass(frozen=True)
class ScanLoad:
    kind: str  # bare, verify, checkin, repeat
    base: str
    staff_tokens: list[str]
    payloads: list[str]  # fresh voucher QR payloads (empty for bare)
    class_id: int
    concurrency: int
    warmup_s: float
    duration_s: float
    start_at: float
    seed: int
    timeout_s: float = 10.0


@dataclass
class ScanResult:
    statuses: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    buckets: list[int] = field(default_factory=list)
    measured_start: float = 0.0
    last_end: float = 0.0


def _request(load: ScanLoad, rng: random.Random, host: str, port: int, used: list[str]) -> bytes:
    if load.kind == "bare":
        return cr._encode("GET", cr.PING_PATH, host, port, {}, None)
    action = {"verify": "verify", "checkin": "checkin"}.get(load.kind) or rng.choice(("enrol", "checkin"))
    if load.kind == "repeat" and used and rng.random() < 1 / 3:
        nonce = rng.choice(used)  # a client retrying: must get the first answer, write nothing
    else:
        nonce = f"{rng.getrandbits(96):024x}"
        if load.kind == "repeat":
            used.append(nonce)
    body = {
        "payload": rng.choice(load.payloads),
        "action": action,
        "nonce": nonce,
        "scanned_at": datetime.now(UTC).isoformat(),
        "device": "bench",
    }
    if action != "verify":
        body["class_id"] = load.class_id
    headers = {
        "Authorization": f"Bearer {rng.choice(load.staff_tokens)}",
        "Content-Type": "application/json",
    }
    return cr._encode("POST", "/api/v1/scans", host, port, headers, json.dumps(body).encode())


def run_scan_load(load: ScanLoad) -> ScanResult:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(_generate(load))
    return uvloop.run(_generate(load))


async def _generate(load: ScanLoad) -> ScanResult:
    url = urlsplit(load.base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    result = ScanResult()
    measured_start = load.start_at + load.warmup_s
    deadline = measured_start + load.duration_s
    buckets: Counter[int] = Counter()
    rng = random.Random(load.seed)
    used: list[str] = []
    connect = cr._encode("GET", cr.PING_PATH, host, port, {}, None)

    async def client() -> None:
        conn: cr._RawHttp | None = None

        async def send(request: bytes) -> tuple[int, bytes]:
            nonlocal conn
            async with asyncio.timeout(load.timeout_s):
                if conn is None or not conn.reusable:
                    _, conn = await asyncio.get_running_loop().create_connection(cr._RawHttp, host, port)
                return await conn.exchange(request)

        try:
            await send(connect)
            await asyncio.sleep(max(0.0, load.start_at - time.monotonic()))
            while (started := time.monotonic()) < deadline:
                request = _request(load, rng, host, port, used)
                try:
                    status, _ = await send(request)
                    outcome = str(status)
                except (TimeoutError, OSError, cr.ProtocolError) as exc:
                    outcome = type(exc).__name__
                    if conn is not None and conn.transport:
                        conn.transport.close()
                    conn = None
                ended = time.monotonic()
                if started < measured_start:
                    continue
                result.statuses[outcome] += 1
                result.latencies.append(ended - started)
                buckets[int((ended - measured_start) / BUCKET_S)] += 1
                result.last_end = max(result.last_end, ended)
        finally:
            if conn is not None and conn.transport:
                conn.transport.close()

    await asyncio.gather(*(client() for _ in range(load.concurrency)))
    result.measured_start = measured_start
    result.buckets = [buckets[i] for i in range(max(buckets, default=-1) + 1)]
    return result


async def run_phase(
    pool: ProcessPoolExecutor, server_pid: int, **spec: Any
) -> tuple[ScanResult, float, dict[str, float]]:
    """One generator process; returns its result, the median requests/s of whole windows and the
    CPU cores each party used during the measured seconds (warm-up excluded)."""
    start_at = time.monotonic() + 1.0
    load = ScanLoad(start_at=start_at, seed=random.randrange(2**32), **spec)
    running = asyncio.get_running_loop().run_in_executor(pool, run_scan_load, load)
    measured_start = start_at + load.warmup_s
    await asyncio.sleep(max(0.0, measured_start - time.monotonic()))
    before = cr.cpu_snapshot(server_pid)
    await asyncio.sleep(max(0.0, measured_start + load.duration_s - time.monotonic()))
    after = cr.cpu_snapshot(server_pid)
    result: ScanResult = await running
    wall = after["wall"] - before["wall"]
    cores = {k: round((after[k] - before[k]) / wall, 2) for k in before if k != "wall"}
    windows = [n / BUCKET_S for n in result.buckets[: int(load.duration_s / BUCKET_S)]]
    elapsed = max(1e-9, result.last_end - result.measured_start)
    rps = statistics.median(windows) if windows else sum(result.statuses.values()) / elapsed
    return result, rps, cores


# ---------------------------------------------------------------------------------------------
# Data: trainees with claimed vouchers (through the API), an institution, scanners, a class.


async def load_data(env: dict[str, str], base: str, trainees: int, scanners: int) -> dict[str, Any]:
    from models.database import close_db, init_db
    from peixunquan.app import build_services
    from peixunquan.config import load_config, load_secret
    from peixunquan.demo import load_regions
    from peixunquan.redis_client import connect_redis
    from vouchers.identity.bureau_auth import create_bureau_user

    config = load_secret(load_config(env=env))
    await init_db(config.database.url)
    svc = build_services(config, connect_redis(config.redis.url))
    try:
        await load_regions()
        await create_bureau_user(cr.BUREAU_USER, cr.BUREAU_PASSWORD, cr.REGION, display_name="压测")
        tokens = await cr.create_trainees(svc, trainees)
    finally:
        await svc.redis.aclose()
        await close_db()

    async with aiohttp.ClientSession() as http:

        async def call(method: str, path: str, body: Any = None, token: str | None = None, ok=(200, 201)) -> Any:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            async with http.request(method, f"{base}{path}", json=body, headers=headers) as response:
                if response.status not in ok:
                    raise RuntimeError(f"{method} {path}: {response.status} {await response.text()}")
                return await response.json()

        batch_id = await cr.publish_batch(http, base, "压测：扫码批次", trainees)
        semaphore = asyncio.Semaphore(32)

        async def claim(token: str) -> str:
            async with semaphore:
                return (await call("POST", "/api/v1/claims", {"batch_id": batch_id}, token))["code"]

        codes = await asyncio.gather(*(claim(t) for t in tokens))
        bureau = (
            await call("POST", "/api/v1/admin/login", {"username": cr.BUREAU_USER, "password": cr.BUREAU_PASSWORD})
        )["token"]
        await call(
            "POST",
            "/api/v1/admin/institutions",
            {
                "code": "3202001",
                "name": "压测职业培训学校",
                "region": cr.REGION,
                "address": "无锡市",
                "phone": "0510-1234567",
                "kind": "民办职业培训学校",
                "commissioner": {
                    "name": "压测专员",
                    "id_number": cr.bench_id_number(trainees + 1),
                    "username": "bench-commissioner",
                    "password": STAFF_PASSWORD,
                },
            },
            bureau,
        )

        async def staff_login(username: str) -> str:
            answer = await call("POST", "/api/v1/institution/login", {"username": username, "password": STAFF_PASSWORD})
            return answer["token"]

        commissioner = await staff_login("bench-commissioner")
        staff_tokens = []
        for i in range(scanners):
            body = {"username": f"bench-scanner-{i}", "password": STAFF_PASSWORD}
            await call("POST", "/api/v1/institution/staff", body, commissioner)
            staff_tokens.append(await staff_login(f"bench-scanner-{i}"))
        site = await call(
            "POST",
            "/api/v1/institution/sites",
            {"name": "教学楼", "latitude": 31.5747, "longitude": 120.2889, "datum": "gcj02", "radius_m": 200},
            commissioner,
        )
        today = datetime.now(UTC).date()
        klass = await call(
            "POST",
            "/api/v1/institution/classes",
            {
                "name": "压测电工班",
                "project_type": "就业技能培训",
                "occupation": "电工",
                "start_date": (today - timedelta(days=1)).isoformat(),
                "end_date": (today + timedelta(days=30)).isoformat(),
                "site_ids": [site["id"]],
                "capacity": trainees,
            },
            commissioner,
        )
        now = datetime.now(UTC)
        await call(
            "POST",
            f"/api/v1/institution/classes/{klass['id']}/lessons",
            {
                "starts_at": now.isoformat(),
                "ends_at": (now + timedelta(hours=2)).isoformat(),
                "checkin_opens_at": (now - timedelta(minutes=5)).isoformat(),
                "checkin_closes_at": (now + timedelta(hours=1)).isoformat(),
            },
            commissioner,
        )
    return {"codes": codes, "staff_tokens": staff_tokens, "class_id": klass["id"]}


def sign_all(keys_dir: str, codes: Sequence[str]) -> list[str]:
    """Fresh payloads, signed with the server's own key files (what each trainee's phone shows)."""
    from vouchers.qr import codes as qr
    from vouchers.qr.keys import QrKeyRing

    ring = QrKeyRing.load(keys_dir, generate=False)
    return [qr.sign(ring, qr.VOUCHER, code).payload for code in codes]


async def enrol_all(
    base: str, keys_dir: str, codes: Sequence[str], staff_tokens: Sequence[str], class_id: int
) -> Counter[str]:
    from vouchers.qr import codes as qr
    from vouchers.qr.keys import QrKeyRing

    ring = QrKeyRing.load(keys_dir, generate=False)
    results: Counter[str] = Counter()
    semaphore = asyncio.Semaphore(32)
    async with aiohttp.ClientSession() as http:

        async def enrol(i: int, code: str) -> None:
            body = {
                "payload": "",
                "action": "enrol",
                "class_id": class_id,
                "nonce": f"setup-{i:08d}",
                "scanned_at": datetime.now(UTC).isoformat(),
                "device": "bench-setup",
            }
            headers = {"Authorization": f"Bearer {staff_tokens[i % len(staff_tokens)]}"}
            async with semaphore:
                body["payload"] = qr.sign(ring, qr.VOUCHER, code).payload  # signed when shown, as on a phone
                async with http.post(f"{base}/api/v1/scans", json=body, headers=headers) as response:
                    answer = await response.json()
                    results[answer.get("reason") or answer.get("result", str(response.status))] += 1

        await asyncio.gather(*(enrol(i, c) for i, c in enumerate(codes)))
    return results


async def count_xacts(database_url: str) -> int:
    import asyncpg

    await asyncio.sleep(1.1)  # let the server's backends publish their counters
    conn = await asyncpg.connect(urlunsplit(urlsplit(database_url)._replace(query="")))
    try:
        sql = "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


async def count_rows(database_url: str) -> dict[str, int]:
    import asyncpg

    conn = await asyncpg.connect(urlunsplit(urlsplit(database_url)._replace(query="")))
    try:
        queries = {
            "enrolments": "SELECT count(*) FROM (SELECT voucher_id FROM enrolment WHERE annulled_at IS NULL "
            "GROUP BY voucher_id HAVING count(*) > 1) d",
            "attendance": "SELECT count(*) FROM (SELECT lesson_id, voucher_id FROM attendance "
            "GROUP BY lesson_id, voucher_id HAVING count(*) > 1) d",
            "scan_nonces": "SELECT count(*) FROM (SELECT staff_id, nonce FROM scan_record "
            "GROUP BY staff_id, nonce HAVING count(*) > 1) d",
            "class_counter": "SELECT count(*) FROM training_class c WHERE c.enrolled <> "
            "(SELECT count(*) FROM enrolment e WHERE e.training_class_id = c.id AND e.annulled_at IS NULL)",
            "enrolled_history": "SELECT count(*) FROM (SELECT voucher_id FROM voucher_history "
            "WHERE action = 'enrolled' GROUP BY voucher_id HAVING count(*) > 1) d",
        }
        return {name: int(await conn.fetchval(sql)) for name, sql in queries.items()}
    finally:
        await conn.close()


# ---------------------------------------------------------------------------------------------


async def bench(args: argparse.Namespace, env: dict[str, str], server: subprocess.Popen[bytes]) -> dict[str, Any]:
    base = f"http://127.0.0.1:{env['PXQ_SERVER_PORT']}"
    async with aiohttp.ClientSession() as http:
        await cr.wait_healthy(http, base, server)
    log(f"server up (pid {server.pid}); loading {args.trainees} trainees with claimed vouchers")
    data = await load_data(env, base, args.trainees + args.repeat_vouchers, args.scanners)
    codes = data["codes"][: args.trainees]
    repeat_codes = data["codes"][args.trainees :]
    keys_dir = env["PXQ_INSTITUTIONS_QR_KEYS_DIR"]
    log(f"enrolling {len(codes)} vouchers")
    enrolled = await enrol_all(base, keys_dir, codes, data["staff_tokens"], data["class_id"])
    if enrolled.get("ok") != len(codes):
        raise RuntimeError(f"setup enrolment: {dict(enrolled)}")

    common = {
        "base": base,
        "staff_tokens": data["staff_tokens"],
        "class_id": data["class_id"],
        "concurrency": args.concurrency,
        "warmup_s": 1.0,
        "duration_s": args.seconds,
    }
    ctx = multiprocessing.get_context("spawn")
    # Interleaved: bare, verify, checkin, ... bare again, so each scan phase has a bare phase on
    # either side. This machine's speed drifts by a quarter within a minute; a ratio to the bare
    # phases next to it, and the median over cycles, is what stays put between runs.
    plan = [("bare", [])]
    for _ in range(args.cycles):
        plan += [("verify", codes), ("checkin", codes), ("bare", [])]
    plan.append(("repeat", repeat_codes))
    runs: dict[str, list[tuple[ScanResult, float]]] = {"bare": [], "verify": [], "checkin": [], "repeat": []}
    cpu: dict[str, list[dict[str, float]]] = {kind: [] for kind in runs}
    server_us: dict[str, list[int]] = {kind: [] for kind in runs}
    db_xacts: dict[str, list[float]] = {kind: [] for kind in runs}
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        await asyncio.wrap_future(pool.submit(cr.warm_process))
        for kind, chosen in plan:
            log(f"{kind} {len(runs[kind]) + 1}: {args.seconds:g} s x{args.concurrency} clients")
            payloads = sign_all(keys_dir, chosen) if chosen else []  # fresh for this phase (30 s steps)
            xacts_before = await count_xacts(env["PXQ_DATABASE_URL"])
            result, rate, cores = await run_phase(pool, server.pid, kind=kind, payloads=payloads, **common)
            runs[kind].append((result, rate))
            cpu[kind].append(cores)
            # The server's CPU per request: steadier than the rate on a noisy machine, as it does
            # not depend on how much of the CPU the server got.
            if rate:
                server_us[kind].append(round(cores["server"] / rate * 1e6))
            requests = sum(result.statuses.values())
            if kind != "bare" and requests:
                # Statements (each its own transaction) per request, warm-up included: roughly,
                # as PostgreSQL publishes its counters about once a second.
                xacts = await count_xacts(env["PXQ_DATABASE_URL"]) - xacts_before
                db_xacts[kind].append(round(xacts / requests, 2))

    duplicates = await count_rows(env["PXQ_DATABASE_URL"])
    bare_rates = [rate for _, rate in runs["bare"]]

    def ratios(kind: str) -> list[float]:
        # cycle i's scan phase against the bare phases before and after it (plan order)
        return [rate / ((bare_rates[i] + bare_rates[i + 1]) / 2) for i, (_, rate) in enumerate(runs[kind])]

    def median_cores(kind: str) -> dict[str, float]:
        return {party: round(statistics.median(c[party] for c in cpu[kind]), 2) for party in cpu[kind][0]}

    bare_rps = statistics.median(bare_rates)
    verify_rps = statistics.median(rate for _, rate in runs["verify"])
    checkin_rps = statistics.median(rate for _, rate in runs["checkin"])
    repeat, repeat_rps = runs["repeat"][0]
    scan_latencies = sorted(x for kind in ("verify", "checkin") for result, _ in runs[kind] for x in result.latencies)
    unexpected: dict[str, Counter[str]] = {kind: Counter() for kind in runs}
    for kind, kind_runs in runs.items():
        for result, _ in kind_runs:
            unexpected[kind].update({k: n for k, n in result.statuses.items() if k != "200"})
    return {
        "bare_rps": round(bare_rps),
        "verify_rps": round(verify_rps),
        "checkin_rps": round(checkin_rps),
        "verify_ratio": round(statistics.median(ratios("verify")), 3),
        "checkin_ratio": round(statistics.median(ratios("checkin")), 3),
        "p99_ms": cr.percentile_ms(scan_latencies, 0.99),
        "p50_ms": cr.percentile_ms(scan_latencies, 0.50),
        "duplicate_rows": sum(duplicates.values()),
        "duplicates": duplicates,
        "verify_ratios": [round(r, 3) for r in ratios("verify")],
        "checkin_ratios": [round(r, 3) for r in ratios("checkin")],
        "bare_rates": [round(r) for r in bare_rates],
        "repeat_rps": round(repeat_rps),
        "repeat_requests": sum(repeat.statuses.values()),
        "unexpected_statuses": {k: dict(v) for k, v in unexpected.items() if v},
        "trainees": len(codes),
        "scanners": args.scanners,
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "cycles": args.cycles,
        "cpu_cores": {kind: median_cores(kind) for kind in runs},
        "server_cpu_us_per_request": {kind: round(statistics.median(v)) for kind, v in server_us.items() if v},
        "db_xacts_per_request": {kind: statistics.median(v) for kind, v in db_xacts.items() if v},
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--trainees", type=int, default=1000, help="trainees with an enrolled voucher")
    p.add_argument("--repeat-vouchers", type=int, default=20, help="vouchers fought over in the repeat phase")
    p.add_argument("--scanners", type=int, default=8, help="institution staff accounts scanning")
    p.add_argument("--concurrency", type=int, default=64, help="concurrent clients (keep-alive connections)")
    p.add_argument("--seconds", type=float, default=6.0, help="measured seconds of each phase")
    p.add_argument("--cycles", type=int, default=3, help="verify/check-in/bare cycles (ratios: their median)")
    p.add_argument("--force", action="store_true", help="allow a database/Redis db not named as a bench target")
    args = p.parse_args(argv)
    for name in ("trainees", "repeat_vouchers", "scanners", "concurrency", "cycles"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.seconds > 20:
        p.error("--seconds at most 20: payloads are signed per phase and stay valid 30-60 s")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    env = dict(os.environ)
    env.setdefault("PXQ_DATABASE_URL", DEFAULT_DATABASE_URL)
    env.setdefault("PXQ_REDIS_URL", DEFAULT_REDIS_URL)
    cr.check_targets(env["PXQ_DATABASE_URL"], env["PXQ_REDIS_URL"], args.force)

    with tempfile.TemporaryDirectory(prefix="pxq-bench-scans-") as tmp:
        secret_file = Path(tmp) / "secret.key"
        secret_file.write_text(os.urandom(32).hex() + "\n", encoding="ascii")
        secret_file.chmod(0o600)
        env.update(
            PXQ_SERVER_PORT=str(cr.free_port()),
            PXQ_SECURITY_SECRET_KEY_FILE=str(secret_file),
            PXQ_INSTITUTIONS_QR_KEYS_DIR=str(Path(tmp) / "qr-keys"),
        )
        env["PXQ_SERVER_PUBLIC_URL"] = f"http://127.0.0.1:{env['PXQ_SERVER_PORT']}"
        # As in production (and bench/claim_rush.py): no worker loop inside the server, so the
        # figures are the scan path's, not the delivery of setup's enrolment notices.
        env["PXQ_WORKER_EMBEDDED"] = "false"
        log(f"resetting {urlsplit(env['PXQ_DATABASE_URL']).path} and Redis {env['PXQ_REDIS_URL'].rsplit('/', 1)[-1]}")
        asyncio.run(cr.reset_stores(env["PXQ_DATABASE_URL"], env["PXQ_REDIS_URL"]))
        subprocess.run(cr.cli("migrate"), cwd=ROOT, env=env, stdout=sys.stderr, check=True)
        server_log_path = Path(tmp) / "server.log"
        with server_log_path.open("w") as server_log:
            server = cr.start_server(env, server_log)
            try:
                figures = asyncio.run(bench(args, env, server))
            except BaseException:
                log("failed; server log tail:\n" + "".join(server_log_path.read_text().splitlines(True)[-30:]))
                raise
            finally:
                cr.stop_server(server)
        problems = [line for line in server_log_path.read_text().splitlines() if cr._log_level(line) in cr.BAD_LEVELS]
        figures["server_log_problems"] = dict(Counter(cr._log_level(line) for line in problems))
        if problems:
            log(f"server logged {len(problems)} warnings/errors, first:\n{problems[0]}")

    figures["postgres_via"] = "unix socket" if "host=/" in env["PXQ_DATABASE_URL"] else "tcp"
    print(json.dumps(figures, ensure_ascii=False, separators=(",", ":")), flush=True)
    return 0 if figures["duplicate_rows"] == 0 and not figures["unexpected_statuses"] else 1


if __name__ == "__main__":
    sys.exit(main())
