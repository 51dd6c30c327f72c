"""Claim-rush benchmark: one batch, many verified trainees, everyone claims at once.

Starts `peixunquan serve` as its own process against PostgreSQL and Redis, loads data with the
project's own code, creates and publishes the batch through the bureau API, lets every trainee open
the card center once (as trainees wait on that page for a rush to open), then drives load from
separate generator processes:

1. `bare`: a trivial endpoint, to measure what this machine, server and generator can do at all;
2. `rush`: POST /api/v1/claims from every trainee, repeatedly and partly concurrently per person.

Prints ONE JSON line of measured figures on stdout (progress goes to stderr) and exits 1 when the
database shows an oversell, a duplicate, or a disagreement with what the clients were told.

With `--processes N` (N > 1) the server runs as `serve --processes N` (children sharing the port
through SO_REUSEPORT), and the same run first measures a one-process server on fresh stores as
the baseline: the line gives both rates (`claim_rps`, `claim_rps_1`), their ratio
(`claim_rps_vs_1`), and the baseline's own checks (`baseline_1`); either run failing its checks
exits 1.

With `--hosts H` (root and iproute2 only) the server runs on H "hosts" of this machine: network
namespaces joined to the root namespace by veth pairs (bench.harness.netns), each running `serve
--processes N`, all against the same PostgreSQL and Redis (reached as bench.harness.hosts says:
PostgreSQL over its Unix socket, Redis through a small forwarder). The load generator, in the
root namespace, spreads its connections over the hosts round robin; `requests_by_host` says
what each host answered. The baseline is again one process on loopback, in the same run, so
`claim_rps_vs_1` is what H hosts x N processes give over one process, network path included.
Namespaces, veth pairs, the forwarder and the servers are removed however the run ends.

    .venv/bin/python -m bench.claim_rush [--persons 4000 --stock 1000 --concurrency 256 ...]

The database named by PXQ_DATABASE_URL loses its `public` schema and the Redis db named by
PXQ_REDIS_URL is flushed, so by default both are dedicated bench targets.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bench.harness.figures import percentile_ms, print_figures, progress
from bench.harness.fixtures import publish_batch, seed_bureau_and_trainees
from bench.harness.hosts import on_hosts
from bench.harness.load import BUCKET_S, ExpectStatus, FixedRequests, warm_process
from bench.harness.netns import DEFAULT_NETWORK, DEFAULT_PREFIX, conflicts, plan, unavailable
from bench.harness.phase import run_phase
from bench.harness.rush_checks import consistent, verify, with_baseline
from bench.harness.server import (
    Server,
    base_url,
    exit_on_sigterm,
    prepare_server_env,
    reset_and_migrate,
    run_with_server,
    run_with_servers,
    wait_healthy,
)
from bench.harness.stores import (
    check_targets,
    default_database_url,
    postgres_via,
    targets_from_environment,
)

DEFAULT_DATABASE_URL = default_database_url("pxq_bench")
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
PING_PATH = "/api/v1/ping"
FALLBACK_PATH = "/api/v1/nonexistent"  # a 404 rendered by the error middleware: no DB, no Redis

log = progress("claim_rush")


def claim_outcome(status: int, payload: bytes) -> tuple[str, str | None]:
    """The outcome of a claim, and the voucher code of a 201."""
    if status == 201:
        return "issued", json.loads(payload)["code"]
    try:
        code = json.loads(payload)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = "no_error_code"
    if status == 409 and code in ("already_claimed", "sold_out"):
        return code, None
    return f"http_{status}_{code}", None


async def open_card_centers(http: aiohttp.ClientSession, bases: Sequence[str], tokens: Sequence[str]) -> None:
    """Each trainee opens the card center once, as trainees do while they wait for a rush to
    open: their sessions are then known to the server, as they would be at the moment it opens.
    With several hosts the browsers spread over them, as the rush's clients do."""
    pending = iter(tokens)

    async def browse(base: str) -> None:
        for token in pending:
            async with http.get(f"{base}/api/v1/card-center", headers={"Authorization": f"Bearer {token}"}) as r:
                if r.status != 200:
                    raise RuntimeError(f"GET /api/v1/card-center: {r.status} {await r.text()}")

    await asyncio.gather(*(browse(bases[i % len(bases)]) for i in range(32)))


async def pick_bare_path(http: aiohttp.ClientSession, base: str) -> tuple[str, int]:
    async with http.get(f"{base}{PING_PATH}") as response:
        if response.status == 200:
            return PING_PATH, 200
    log(f"{PING_PATH} is missing: the bare phase uses {FALLBACK_PATH} (404 through the error middleware)")
    return FALLBACK_PATH, 404


async def bench(
    args: argparse.Namespace,
    env: dict[str, str],
    servers: Sequence[Server],
    bases: Sequence[str],
    cpu_others: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Data, phases and checks against `servers` (one, or one a host), reached at `bases`."""
    base = bases[0]
    async with aiohttp.ClientSession() as http:
        for server, url in zip(servers, bases, strict=True):
            await wait_healthy(http, url, server)
        log(f"server up (pid {', '.join(str(s.pid) for s in servers)}); creating {args.persons} trainees")
        tokens = await seed_bureau_and_trainees(env, args.persons)
        rush_batch = await publish_batch(http, base, "压测：抢券批次", args.stock)
        warm_batch = await publish_batch(http, base, "压测：预热批次", max(1, args.stock // 10))
        bare_path, bare_status = await pick_bare_path(http, base)
        if not args.cold_sessions:
            log("every trainee opens the card center once (the page they wait on for the rush)")
            await open_card_centers(http, bases, tokens)

    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=args.loadgen_procs, mp_context=ctx) as pool:
        await asyncio.gather(*(asyncio.wrap_future(pool.submit(warm_process)) for _ in range(args.loadgen_procs)))
        common = {
            "base": base,
            "more_bases": tuple(bases[1:]),
            "cpu_others": cpu_others,
            "client": args.client,
            "concurrency": args.concurrency,
            "connect_path": bare_path,
            "timeout_s": args.timeout,
        }
        bare_spec = {
            "requests": FixedRequests("GET", bare_path, [{}]),
            "outcome": ExpectStatus(bare_status),
            "max_requests": 0,
            "warmup_s": 1.0,
            # Half before the rush, half after: a noisy neighbour during one half shows up as
            # outlying windows, which the median ignores.
            "duration_s": args.bare_seconds / 2,
        }
        procs, pid = args.loadgen_procs, [server.pid for server in servers]
        log(f"bare: GET {bare_path} x{args.concurrency} clients, {args.client} client, {args.bare_seconds / 2:g} s")
        bare = [await run_phase(pool, procs, pid, **bare_spec, **common)]
        headers = [{"Authorization": f"Bearer {t}", "Content-Type": "application/json"} for t in tokens]

        def claims(batch_id: int) -> FixedRequests:
            return FixedRequests("POST", "/api/v1/claims", headers, json.dumps({"batch_id": batch_id}).encode())

        claim = {"outcome": claim_outcome, "warmup_s": 0.0}
        if args.warmup_seconds > 0:
            # Another batch, so the server's PG and Redis pools, Lua scripts and batch cache are
            # warm when the rush starts, as on a server that has been serving for a while.
            log(f"warm-up: claims on batch {warm_batch} for {args.warmup_seconds:g} s")
            warm = claims(warm_batch)
            await run_phase(
                pool, procs, pid, requests=warm, max_requests=0, duration_s=args.warmup_seconds, **claim, **common
            )
        log(f"rush: {args.attempts} claims on batch {rush_batch} (stock {args.stock}), at most {args.duration:g} s")
        rush = await run_phase(
            pool,
            procs,
            pid,
            requests=claims(rush_batch),
            max_requests=args.attempts,
            duration_s=args.duration,
            trace=True,
            **claim,
            **common,
        )
        log(f"bare again: {args.bare_seconds / 2:g} s")
        bare.append(await run_phase(pool, procs, pid, **bare_spec, **common))

    checked = await verify(env["PXQ_DATABASE_URL"], env["PXQ_REDIS_URL"], rush_batch, rush.codes)
    windows = int(args.bare_seconds / 2 / BUCKET_S)
    bare_rps = statistics.median(w for phase in bare for w in phase.full_windows(windows))
    latencies = rush.sorted_latencies()
    expected = {"issued", "already_claimed", "sold_out"}
    issued = rush.outcomes["issued"]
    in_db = int(checked["in_db"] or 0)
    return {
        "bare_rps": round(bare_rps),
        "claim_rps": round(rush.rps),
        "ratio": round(rush.rps / bare_rps, 3) if bare_rps else None,
        "p50_ms": percentile_ms(latencies, 0.50),
        "p99_ms": percentile_ms(latencies, 0.99),
        "max_ms": percentile_ms(latencies, 1.0),
        "issued_p99_ms": percentile_ms(rush.sorted_latencies("issued"), 0.99),
        "p99_ms_by_outcome": {k: percentile_ms(rush.sorted_latencies(k), 0.99) for k in sorted(rush.latencies)},
        "sellout_s": round(rush.last_code_s, 2),
        "stock": args.stock,
        "issued": issued,
        "oversold": max(0, in_db - args.stock),
        "duplicates": checked["duplicates"],
        "in_db": in_db,
        "missing": checked["missing"],
        "db_remaining": checked["db_remaining"],
        "gate_stock": checked["gate_stock"],
        "already_claimed": rush.outcomes["already_claimed"],
        "sold_out": rush.outcomes["sold_out"],
        "errors": sum(n for k, n in rush.outcomes.items() if k not in expected),
        "error_kinds": {k: n for k, n in rush.outcomes.items() if k not in expected},
        "attempts": rush.completed,
        "same_person_overlaps": rush.overlaps,
        "rush_s": round(rush.elapsed_s, 2),
        "bare_path": bare_path,
        "bare_errors": sum(n for phase in bare for k, n in phase.outcomes.items() if k != "ok"),
        "concurrency": args.concurrency,
        "persons": args.persons,
        "client": args.client,
        "cold_sessions": args.cold_sessions,
        "loadgen_procs": args.loadgen_procs,
        "cpu_cores": {"bare": bare[0].cpu_with_loadgen(), "rush": rush.cpu_with_loadgen()},
        "requests_by_host": {
            "rush": _by_host(rush.by_base),
            "bare": _by_host(sum((phase.by_base for phase in bare), Counter())),
        },
    }


def _by_host(by_base: Counter[str]) -> dict[str, int]:
    return {urlsplit(base).hostname or base: n for base, n in sorted(by_base.items())}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--persons", type=int, default=4000, help="verified trainees, one session each")
    p.add_argument("--stock", type=int, default=1000, help="vouchers in the rush batch")
    p.add_argument("--concurrency", type=int, default=256, help="concurrent clients (keep-alive connections)")
    p.add_argument("--attempts", type=int, default=30_000, help="claim requests in the rush")
    p.add_argument("--duration", type=float, default=30.0, help="the rush stops after this many seconds anyway")
    p.add_argument(
        "--bare-seconds", type=float, default=8.0, help="seconds of the bare phase, half before the rush and half after"
    )
    p.add_argument("--warmup-seconds", type=float, default=2.0, help="claims on a warm-up batch (0: none)")
    p.add_argument(
        "--client",
        choices=("raw", "aiohttp"),
        default="raw",
        help="load generator HTTP client: raw (pre-encoded keep-alive requests) or aiohttp's ClientSession",
    )
    p.add_argument(
        "--cold-sessions",
        action="store_true",
        help="skip the card-center visit: the server first sees most sessions in the rush itself",
    )
    p.add_argument("--loadgen-procs", type=int, default=1, help="load generator processes")
    p.add_argument("--timeout", type=float, default=10.0, help="client timeout per request, seconds")
    p.add_argument(
        "--processes",
        type=int,
        default=1,
        help="serve with N processes (SO_REUSEPORT); above 1, a one-process run first, as the baseline",
    )
    p.add_argument(
        "--hosts",
        type=int,
        default=0,
        help="run the server (with --processes) on H network namespaces of this machine, the load spread "
        "over them; a one-process run first, as the baseline (needs root and `ip`)",
    )
    p.add_argument(
        "--netns-prefix", default=DEFAULT_PREFIX, help="names of the namespaces and veths: PREFIX-h1, PREFIX-h2, ..."
    )
    p.add_argument(
        "--netns-network", default=DEFAULT_NETWORK, help="addresses of the hosts: host i takes the i-th /24 of it"
    )
    p.add_argument("--force", action="store_true", help="allow a database/Redis db not named as a bench target")
    args = p.parse_args(argv)
    if args.hosts < 0:
        p.error("--hosts must be 0 (no namespaces) or more")
    if args.hosts:
        why = unavailable()
        if why:
            p.error(f"--hosts: {why}")
        try:
            plan(args.hosts, args.netns_prefix, args.netns_network)
        except ValueError as exc:
            p.error(f"--hosts: {exc}")
    for name in ("persons", "stock", "concurrency", "attempts", "loadgen_procs", "processes"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.loadgen_procs > args.concurrency:
        p.error("--loadgen-procs cannot exceed --concurrency")
    return args


def measure(args: argparse.Namespace, processes: int, hosts: int = 0) -> dict[str, Any]:
    """One whole run (fresh stores, server, data, phases, checks) with `serve --processes N`, on
    loopback or, with `hosts`, on that many network namespaces."""
    env = targets_from_environment(DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL)
    env["PXQ_SERVER_PROCESSES"] = str(processes)
    load_avg = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="pxq-bench-") as tmp:
        prepare_server_env(env, Path(tmp))
        reset_and_migrate(env, log)
        several = f"{processes} process{'es' if processes > 1 else ''}"
        if not hosts:
            log(f"server with {several}")
            figures = run_with_server(env, Path(tmp), log, lambda server: bench(args, env, [server], [base_url(env)]))
        else:
            with on_hosts(env, hosts, args.netns_prefix, args.netns_network, Path(tmp)) as on:
                log(f"{hosts} hosts ({', '.join(on.bases)}), each a server with {several}; reaching {on.paths}")
                others = {"forwarder": on.forwarder_pid}
                figures = run_with_servers(
                    on.launches, log, lambda servers: bench(args, env, servers, on.bases, others)
                )
            figures["hosts"] = hosts
            figures["hosts_reach"] = on.paths
    figures["postgres_via"] = postgres_via(env["PXQ_DATABASE_URL"])
    figures["processes"] = processes
    figures["load_avg"] = {"start": load_avg, "end": [round(x, 2) for x in os.getloadavg()]}
    if not hosts:
        del figures["requests_by_host"]  # everything went to the one address
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    exit_on_sigterm()
    env = targets_from_environment(DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL)
    check_targets("claim_rush", env["PXQ_DATABASE_URL"], env["PXQ_REDIS_URL"], args.force)
    in_the_way = conflicts(args.hosts, args.netns_prefix, args.netns_network) if args.hosts else []
    if in_the_way:
        sys.exit("claim_rush: --hosts: " + "; ".join(in_the_way))
    if args.processes == 1 and not args.hosts:
        figures = measure(args, 1)
        print_figures(figures)
        return 0 if consistent(figures) else 1
    baseline = measure(args, 1)
    figures = measure(args, args.processes, args.hosts)
    print_figures(with_baseline(figures, baseline))
    return 0 if consistent(baseline) and consistent(figures) else 1


if __name__ == "__main__":
    sys.exit(main())
