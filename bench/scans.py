"""Scan benchmark: institutions verifying and checking in trainees at the desk, all at once.

Starts `peixunquan serve` as its own process against PostgreSQL and Redis (with the harness of
bench/claim_rush.py), loads trainees with claimed vouchers, an institution with scanning staff and
a class with a lesson open now, enrols every voucher (bench/scan_setup.py), then drives load from
a separate generator process:

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

    .venv/bin/python -m bench.scans [--trainees 1000 --concurrency 64 --seconds 6 --cycles 3 ...]

The database named by PXQ_DATABASE_URL loses its `public` schema and the Redis db named by
PXQ_REDIS_URL is flushed, so by default both are dedicated bench targets.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import statistics
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench.harness.figures import percentile_ms, print_figures, progress
from bench.harness.load import BUCKET_S, Encoder, FixedRequests, Requests, warm_process
from bench.harness.phase import Phase, run_phase
from bench.harness.rawhttp import encode_request
from bench.harness.server import (
    Server,
    base_url,
    exit_on_sigterm,
    prepare_server_env,
    reset_and_migrate,
    run_with_server,
    wait_healthy,
)
from bench.harness.stores import check_targets, default_database_url, postgres_via, targets_from_environment
from bench.scan_setup import count_duplicates, count_xacts, enrol_all, load_data, sign_all

DEFAULT_DATABASE_URL = default_database_url("pxq_bench_scans")
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
PING_PATH = "/api/v1/ping"

log = progress("scans")


@dataclass(frozen=True)
class ScanRequests:
    """Scans encoded on the fly, each with its own nonce (a fixed body would only measure nonce
    replays); a simulated user is a scanning staff member."""

    kind: str  # verify, checkin, repeat
    staff_tokens: list[str]
    payloads: list[str]  # fresh voucher QR payloads
    class_id: int

    @property
    def users(self) -> int:
        return len(self.staff_tokens)

    def encoder(self, host: str, port: int) -> Encoder:
        # The repeat phase's bodies so far per staff member, in this generator process. A retry
        # re-sends one of them as it was: the same nonce with another body is `nonce_reused` (409),
        # which a real scan gun never sends, so mixing the two counted bench mistakes as refusals.
        sent: dict[int, list[dict[str, Any]]] = {}

        def encode(user: int, rng: random.Random) -> bytes:
            earlier = sent.get(user)
            if self.kind == "repeat" and earlier and rng.random() < 1 / 3:
                body = rng.choice(earlier)  # a client retrying: must get the first answer, write nothing
            else:
                action = {"verify": "verify", "checkin": "checkin"}.get(self.kind) or rng.choice(("enrol", "checkin"))
                body = {
                    "payload": rng.choice(self.payloads),
                    "action": action,
                    "nonce": f"{rng.getrandbits(96):024x}",
                    "scanned_at": datetime.now(UTC).isoformat(),
                    "device": "bench",
                }
                if action != "verify":
                    body["class_id"] = self.class_id
                if self.kind == "repeat":
                    sent.setdefault(user, []).append(body)
            headers = {"Authorization": f"Bearer {self.staff_tokens[user]}", "Content-Type": "application/json"}
            return encode_request("POST", "/api/v1/scans", host, port, headers, json.dumps(body).encode())

        return encode


def status_outcome(status: int, payload: bytes) -> tuple[str, str | None]:
    return str(status), None


def window_rate(phase: Phase, duration_s: float) -> float:
    """The median requests/s of the phase's whole windows."""
    windows = [n / BUCKET_S for n in phase.buckets[: int(duration_s / BUCKET_S)]]
    return statistics.median(windows) if windows else phase.rps


async def bench(args: argparse.Namespace, env: dict[str, str], server: Server) -> dict[str, Any]:
    base = base_url(env)
    async with aiohttp.ClientSession() as http:
        await wait_healthy(http, base, server)
    log(f"server up (pid {server.pid}); loading {args.trainees} trainees with claimed vouchers")
    data = await load_data(env, base, args.trainees + args.repeat_vouchers, args.scanners)
    codes = data.codes[: args.trainees]
    repeat_codes = data.codes[args.trainees :]
    keys_dir = env["PXQ_INSTITUTIONS_QR_KEYS_DIR"]
    log(f"enrolling {len(codes)} vouchers")
    enrolled = await enrol_all(base, keys_dir, codes, data.staff_tokens, data.class_id)
    if enrolled.get("ok") != len(codes):
        raise RuntimeError(f"setup enrolment: {dict(enrolled)}")

    common = {
        "base": base,
        "outcome": status_outcome,
        "connect_path": PING_PATH,
        "concurrency": args.concurrency,
        "warmup_s": 1.0,
        "duration_s": args.seconds,
        "failure_prefix": "",  # the figures name a failed request by its exception alone
        "hold_gc": False,  # the published scan figures were measured with the generator's GC on
        "cpu_over_duration": True,
    }
    ctx = multiprocessing.get_context("spawn")
    # Interleaved: bare, verify, checkin, ... bare again, so each scan phase has a bare phase on
    # either side. This machine's speed drifts by a quarter within a minute; a ratio to the bare
    # phases next to it, and the median over cycles, is what stays put between runs.
    plan = [("bare", [])]
    for _ in range(args.cycles):
        plan += [("verify", codes), ("checkin", codes), ("bare", [])]
    plan.append(("repeat", repeat_codes))
    runs: dict[str, list[tuple[Phase, float]]] = {"bare": [], "verify": [], "checkin": [], "repeat": []}
    cpu: dict[str, list[dict[str, float]]] = {kind: [] for kind in runs}
    server_us: dict[str, list[int]] = {kind: [] for kind in runs}
    db_xacts: dict[str, list[float]] = {kind: [] for kind in runs}
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        await asyncio.wrap_future(pool.submit(warm_process))
        for kind, chosen in plan:
            log(f"{kind} {len(runs[kind]) + 1}: {args.seconds:g} s x{args.concurrency} clients")
            requests: Requests = FixedRequests("GET", PING_PATH, [{}])
            if kind != "bare":  # payloads fresh for this phase (30 s steps)
                requests = ScanRequests(kind, data.staff_tokens, sign_all(keys_dir, chosen), data.class_id)
            xacts_before = await count_xacts(env["PXQ_DATABASE_URL"])
            phase = await run_phase(pool, 1, server.pid, requests=requests, **common)
            rate = window_rate(phase, args.seconds)
            runs[kind].append((phase, rate))
            cpu[kind].append(phase.cpu)
            # The server's CPU per request: steadier than the rate on a noisy machine, as it does
            # not depend on how much of the CPU the server got.
            if rate:
                server_us[kind].append(round(phase.cpu["server"] / rate * 1e6))
            if kind != "bare" and phase.completed:
                # Statements (each its own transaction) per request, warm-up included: roughly,
                # as PostgreSQL publishes its counters about once a second.
                xacts = await count_xacts(env["PXQ_DATABASE_URL"]) - xacts_before
                db_xacts[kind].append(round(xacts / phase.completed, 2))

    duplicates = await count_duplicates(env["PXQ_DATABASE_URL"])
    bare_rates = [rate for _, rate in runs["bare"]]

    def ratios(kind: str) -> list[float]:
        # cycle i's scan phase against the bare phases before and after it (plan order)
        return [rate / ((bare_rates[i] + bare_rates[i + 1]) / 2) for i, (_, rate) in enumerate(runs[kind])]

    def median_cores(kind: str) -> dict[str, float]:
        return {party: round(statistics.median(c[party] for c in cpu[kind]), 2) for party in cpu[kind][0]}

    repeat, repeat_rps = runs["repeat"][0]
    scan_phases = [phase for kind in ("verify", "checkin") for phase, _ in runs[kind]]
    scan_latencies = sorted(x for phase in scan_phases for values in phase.latencies.values() for x in values)
    unexpected: dict[str, Counter[str]] = {kind: Counter() for kind in runs}
    for kind, kind_runs in runs.items():
        for phase, _ in kind_runs:
            unexpected[kind].update({k: n for k, n in phase.outcomes.items() if k != "200"})
    return {
        "bare_rps": round(statistics.median(bare_rates)),
        "verify_rps": round(statistics.median(rate for _, rate in runs["verify"])),
        "checkin_rps": round(statistics.median(rate for _, rate in runs["checkin"])),
        "verify_ratio": round(statistics.median(ratios("verify")), 3),
        "checkin_ratio": round(statistics.median(ratios("checkin")), 3),
        "p99_ms": percentile_ms(scan_latencies, 0.99),
        "p50_ms": percentile_ms(scan_latencies, 0.50),
        "duplicate_rows": sum(duplicates.values()),
        "duplicates": duplicates,
        "verify_ratios": [round(r, 3) for r in ratios("verify")],
        "checkin_ratios": [round(r, 3) for r in ratios("checkin")],
        "bare_rates": [round(r) for r in bare_rates],
        "repeat_rps": round(repeat_rps),
        "repeat_requests": repeat.completed,
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
    exit_on_sigterm()
    env = targets_from_environment(DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL)
    check_targets("scans", env["PXQ_DATABASE_URL"], env["PXQ_REDIS_URL"], args.force)
    with tempfile.TemporaryDirectory(prefix="pxq-bench-scans-") as tmp:
        prepare_server_env(env, Path(tmp))
        # The server's QR keys, read back here to sign what the trainees' phones would show.
        env["PXQ_INSTITUTIONS_QR_KEYS_DIR"] = str(Path(tmp) / "qr-keys")
        reset_and_migrate(env, log)
        figures = run_with_server(env, Path(tmp), log, lambda server: bench(args, env, server))
    figures["postgres_via"] = postgres_via(env["PXQ_DATABASE_URL"])
    print_figures(figures)
    return 0 if figures["duplicate_rows"] == 0 and not figures["unexpected_statuses"] else 1


if __name__ == "__main__":
    sys.exit(main())
