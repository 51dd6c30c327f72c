"""The load generator. It runs in child processes (`run_load`), so it never shares a core's event
loop with the orchestrator; everything it receives and returns is picklable.

Each of `concurrency` clients keeps one keep-alive connection and sends one request after the
other until the phase's end or the request budget; a request is for a simulated user drawn at
random, and `requests` says what that user sends. An `outcome` function names each answer."""

from __future__ import annotations

import asyncio
import gc
import json
import math
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import aiohttp

from bench.harness.rawhttp import ProtocolError, RawConnection, encode_request

BUCKET_S = 1.0  # width of the throughput windows that rates are medians of
FAILURES = (aiohttp.ClientError, TimeoutError, OSError, ProtocolError)
TRACE_FILE = os.environ.get("PXQ_BENCH_TRACE")  # where a traced phase lists its slow requests

# (status, body) -> (outcome, a code picked from the answer or None); a module-level function or a
# frozen dataclass instance, so that it pickles.
Outcome = Callable[[int, bytes], tuple[str, str | None]]
Encoder = Callable[[int, random.Random], bytes]  # (user, rng) -> one encoded request


class Requests(Protocol):
    """What simulated users send: `users` of them, and each request encoded for a server."""

    @property
    def users(self) -> int: ...

    def encoder(self, host: str, port: int) -> Encoder: ...


@dataclass(frozen=True)
class FixedRequests:
    """The same request for every user but for its headers (a user's token), encoded once."""

    method: str
    path: str
    headers: list[dict[str, str]]  # one per simulated user
    body: bytes | None = None

    @property
    def users(self) -> int:
        return len(self.headers)

    def encoder(self, host: str, port: int) -> Encoder:
        encoded = [encode_request(self.method, self.path, host, port, h, self.body) for h in self.headers]
        return lambda user, _rng: encoded[user]


@dataclass(frozen=True)
class ExpectStatus:
    """The outcome of a bare request: "ok" when the status is the expected one."""

    status: int

    def __call__(self, status: int, payload: bytes) -> tuple[str, str | None]:
        return ("ok" if status == self.status else f"http_{status}"), None


@dataclass(frozen=True)
class LoadSpec:
    base: str  # http://host:port of the server
    requests: Requests
    outcome: Outcome
    concurrency: int
    warmup_s: float  # requests sent but not measured
    duration_s: float
    start_at: float  # time.monotonic() (system-wide on Linux) at which every process starts
    seed: int
    connect_path: str  # a cheap path each client GETs once before start_at to open its connection
    max_requests: int = 0  # 0 = no limit, the duration alone ends the run
    client: str = "raw"  # or "aiohttp": the same requests through aiohttp's client (FixedRequests only)
    timeout_s: float = 10.0
    failure_prefix: str = "client_"  # outcome of a request that got no answer: prefix + exception name
    hold_gc: bool = True  # the generator's garbage collector off during the phase
    trace: bool = False  # write requests slower than 100 ms to PXQ_BENCH_TRACE
    more_bases: tuple[str, ...] = ()  # further servers: client k connects to (base, *more_bases)[k % n]

    def bases(self) -> tuple[str, ...]:
        return (self.base, *self.more_bases)


@dataclass
class LoadResult:
    outcomes: Counter[str] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=dict)  # by outcome, seconds, measured only
    codes: list[str] = field(default_factory=list)  # what `outcome` picked from answers
    buckets: list[int] = field(default_factory=list)  # completions per BUCKET_S after warm-up
    measured_start: float = 0.0
    last_end: float = 0.0
    last_code_at: float = 0.0  # when the last answer with a code arrived
    cpu_s: float = 0.0  # this generator process's CPU time over the measured window
    overlaps: int = 0  # requests sent while the same user already had one in flight
    by_base: Counter[str] = field(default_factory=Counter)  # measured answers (or failures) per server


def run_load(spec: LoadSpec) -> LoadResult:
    """Process entry point: uvloop when available, as the server itself uses. With `hold_gc` the
    generator's own garbage collector is held off during a phase: its pauses would show up as
    server latency."""
    try:
        import uvloop
    except ImportError:
        uvloop = None
    if spec.hold_gc:
        gc.collect()
        gc.disable()
    try:
        return asyncio.run(_generate(spec)) if uvloop is None else uvloop.run(_generate(spec))
    finally:
        if spec.hold_gc:
            gc.enable()


def warm_process() -> int:
    """Submitted once per pool process so spawning and imports happen before any timed phase."""
    with suppress(ImportError):
        import uvloop  # noqa: F401
    return os.getpid()


class _RawSender:
    def __init__(self, spec: LoadSpec, host: str, port: int, encode: Encoder) -> None:
        self.connection = RawConnection(host, port, spec.timeout_s)
        self.encode = encode
        self.connect_request = encode_request("GET", spec.connect_path, host, port, {}, None)

    async def connect(self) -> None:
        await self.connection.exchange(self.connect_request)

    async def send(self, user: int, rng: random.Random) -> tuple[int, bytes]:
        return await self.connection.exchange(self.encode(user, rng))

    def close(self) -> None:
        self.connection.close()


class _AiohttpSender:
    """The same traffic through aiohttp's client: one shared session, keep-alive connections."""

    def __init__(self, spec: LoadSpec, base: str, session: aiohttp.ClientSession) -> None:
        if not isinstance(spec.requests, FixedRequests):
            raise TypeError("the aiohttp client sends FixedRequests only")
        self.requests, self.base, self.connect_path, self.session = spec.requests, base, spec.connect_path, session

    async def connect(self) -> None:
        async with self.session.get(f"{self.base}{self.connect_path}") as response:
            await response.read()

    async def send(self, user: int, rng: random.Random) -> tuple[int, bytes]:
        r = self.requests
        url = f"{self.base}{r.path}"
        async with self.session.request(r.method, url, data=r.body, headers=r.headers[user]) as answer:
            return answer.status, await answer.read()

    def close(self) -> None:
        pass


async def _generate(spec: LoadSpec) -> LoadResult:
    result = LoadResult()
    rng = random.Random(spec.seed)
    servers = []  # (base, host, port, encoder): encoded once per process, as an encoder may keep state
    for base in spec.bases():
        url = urlsplit(base)
        host, port = url.hostname or "127.0.0.1", url.port or 80
        servers.append((base, host, port, spec.requests.encoder(host, port)))
    next_client = iter(range(spec.concurrency))
    budget = spec.max_requests or math.inf
    measured_start = spec.start_at + spec.warmup_s
    deadline = measured_start + spec.duration_s
    buckets: Counter[int] = Counter()
    cpu_at_start: list[float] = []
    in_flight: Counter[int] = Counter()
    slow: list[tuple[float, float, str]] = []
    # limit=concurrency: every client keeps its own keep-alive connection, as a raw one does.
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=spec.concurrency, keepalive_timeout=120),
        timeout=aiohttp.ClientTimeout(total=spec.timeout_s),
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,
    )

    async def client() -> None:
        nonlocal budget
        # Round robin per connection, as a load balancer spreads connections over hosts.
        base, host, port, encode = servers[next(next_client) % len(servers)]
        if spec.client == "raw":
            sender: _RawSender | _AiohttpSender = _RawSender(spec, host, port, encode)
        else:
            sender = _AiohttpSender(spec, base, session)
        # Open this client's connection off the clock: a connect storm is not part of the figures.
        with suppress(*FAILURES):
            await sender.connect()
        await asyncio.sleep(max(0.0, spec.start_at - time.monotonic()))
        try:
            while budget > 0:
                started = time.monotonic()
                if started >= deadline:
                    return
                # Without a warm-up every request counts: timers may fire a little before
                # start_at, and an unrecorded request might be the one that got a voucher.
                measured = started >= measured_start or not spec.warmup_s
                if measured:
                    if not cpu_at_start:
                        cpu_at_start.append(_own_cpu())
                    budget -= 1
                code = None
                user = rng.randrange(spec.requests.users)
                if measured and in_flight[user]:
                    result.overlaps += 1
                in_flight[user] += 1
                try:
                    status, payload = await sender.send(user, rng)
                    outcome, code = spec.outcome(status, payload)
                except FAILURES as exc:
                    outcome = f"{spec.failure_prefix}{type(exc).__name__}"
                finally:
                    in_flight[user] -= 1
                ended = time.monotonic()
                if not measured:
                    continue
                result.outcomes[outcome] += 1
                result.by_base[base] += 1
                result.latencies.setdefault(outcome, []).append(ended - started)
                if spec.trace and ended - started > 0.1:
                    slow.append((round(started - spec.start_at, 3), round(ended - started, 3), outcome))
                if code:
                    result.codes.append(code)
                    result.last_code_at = max(result.last_code_at, ended)
                buckets[int((ended - measured_start) / BUCKET_S)] += 1
                result.last_end = max(result.last_end, ended)
        finally:
            sender.close()

    try:
        await asyncio.gather(*(client() for _ in range(spec.concurrency)))
    finally:
        await session.close()
    if spec.trace and TRACE_FILE and slow:
        # (start offset s, latency s, outcome) of every request slower than 100 ms, for diagnosis.
        Path(TRACE_FILE).write_text(json.dumps(sorted(slow)))  # noqa: ASYNC240 - after the phase
    result.measured_start = measured_start
    result.cpu_s = _own_cpu() - (cpu_at_start[0] if cpu_at_start else _own_cpu())
    result.buckets = [buckets[i] for i in range(max(buckets, default=-1) + 1)]
    return result


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system
