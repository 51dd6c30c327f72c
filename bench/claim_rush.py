"""Claim-rush benchmark: one batch, many verified trainees, everyone claims at once.

Starts `peixunquan serve` as its own process against PostgreSQL and Redis, loads data with the
project's own code, creates and publishes the batch through the bureau API, lets every trainee open
the card center once (as trainees wait on that page for a rush to open), then drives load from
separate generator processes:

1. `bare`: a trivial endpoint, to measure what this machine, server and generator can do at all;
2. `rush`: POST /api/v1/claims from every trainee, repeatedly and partly concurrently per person.

Prints ONE JSON line of measured figures on stdout (progress goes to stderr) and exits 1 when the
database shows an oversell, a duplicate, or a disagreement with what the clients were told.

    .venv/bin/python bench/claim_rush.py [--persons 4000 --stock 1000 --concurrency 256 ...]

The database named by PXQ_DATABASE_URL loses its `public` schema and the Redis db named by
PXQ_REDIS_URL is flushed, so by default both are dedicated bench targets.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import multiprocessing
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit, urlunsplit

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
PG_SOCKET_DIR = "/var/run/postgresql"


def default_database_url(name: str) -> str:
    """The local PostgreSQL over its Unix socket when it has one, as a server on the database's
    own machine should reach it (README, "Running it for real"): here loopback TCP cost the scan
    call about 40 % more server CPU. TCP otherwise."""
    if Path(PG_SOCKET_DIR, ".s.PGSQL.5432").exists():
        return f"postgres://postgres@/{name}?host={PG_SOCKET_DIR}"
    return f"postgres://postgres@127.0.0.1:5432/{name}"


DEFAULT_DATABASE_URL = default_database_url("pxq_bench")
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
TEST_REDIS_DB = 15  # used by the test suite
BUREAU_USER = "bench"
BUREAU_PASSWORD = "bench-password-not-secret"
REGION = "320200"  # loaded by peixunquan.demo.load_regions
PING_PATH = "/api/v1/ping"
FALLBACK_PATH = "/api/v1/nonexistent"  # a 404 rendered by the error middleware: no DB, no Redis
BUCKET_S = 1.0  # width of the throughput windows the bare figure is the median of


def log(message: str) -> None:
    print(f"[claim_rush] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Load generator (runs in child processes, so it never shares a core's event loop with the
# orchestrator; everything it receives and returns is picklable).


@dataclass(frozen=True)
class LoadSpec:
    mode: str  # "bare" or "claim": how responses are classified
    client: str  # "raw" or "aiohttp"
    url: str
    method: str
    body: bytes | None
    headers: list[dict[str, str]]  # one per simulated user; a request picks one at random
    expected_status: int  # the status counted as "ok" in bare mode
    concurrency: int
    max_requests: int  # 0 = no limit, the duration alone ends the run
    warmup_s: float  # requests sent but not measured
    duration_s: float
    start_at: float  # time.monotonic() (system-wide on Linux) at which every process starts
    connect_url: str  # a cheap URL each client GETs once before start_at to open its connection
    seed: int
    timeout_s: float = 10.0


@dataclass
class LoadResult:
    outcomes: Counter[str] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=dict)  # by outcome, seconds, measured only
    codes: list[str] = field(default_factory=list)  # voucher codes from 201 answers
    buckets: list[int] = field(default_factory=list)  # completions per BUCKET_S after warm-up
    measured_start: float = 0.0
    last_end: float = 0.0
    last_issued: float = 0.0  # when the last 201 arrived
    cpu_s: float = 0.0  # this generator process's CPU time over the measured window
    overlaps: int = 0  # requests sent while the same user already had one in flight


def classify(mode: str, status: int, payload: bytes, expected_status: int) -> tuple[str, str | None]:
    """Returns (outcome, voucher code or None)."""
    if mode == "bare":
        return ("ok" if status == expected_status else f"http_{status}"), None
    if status == 201:
        return "issued", json.loads(payload)["code"]
    try:
        code = json.loads(payload)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = "no_error_code"
    if status == 409 and code in ("already_claimed", "sold_out"):
        return code, None
    return f"http_{status}_{code}", None


TRACE: list[tuple[float, float, str]] | None = [] if os.environ.get("PXQ_BENCH_TRACE") else None


class ProtocolError(Exception):
    pass


class _RawHttp(asyncio.Protocol):
    """A minimal HTTP/1.1 client: one keep-alive connection, one request in flight, requests
    pre-encoded, responses cut by Content-Length (the server always sends it). Measured here it
    costs ~16 us of CPU a request against ~65 us for aiohttp's client, which is more than the
    aiohttp server spends answering /api/v1/ping: with aiohttp's client on two cores, the
    generator, not the server, would set the bare figure (and so flatter the ratio)."""

    def __init__(self) -> None:
        self.transport: Any = None  # uvloop's transports are not asyncio.Transport subclasses
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.reusable = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.reusable = False
        if self.waiter and not self.waiter.done():
            self.waiter.set_exception(exc or ConnectionResetError("server closed the connection"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.waiter is None or self.waiter.done():
            return
        head = bytes(self.buffer[:end]).lower()
        at = head.find(b"\r\ncontent-length:")
        if at < 0:
            self.waiter.set_exception(ProtocolError("response without Content-Length"))
            return
        stop = head.find(b"\r\n", at + 2)
        length = int(head[at + len(b"\r\ncontent-length:") : stop if stop > 0 else len(head)])
        total = end + 4 + length
        if len(self.buffer) < total:
            return
        body = bytes(self.buffer[end + 4 : total])
        del self.buffer[:total]
        if b"\r\nconnection: close" in head:
            self.reusable = False
        self.waiter.set_result((int(head[9:12]), body))

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiter


class RawClient:
    def __init__(self, spec: LoadSpec) -> None:
        url = urlsplit(spec.url)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self.timeout_s = spec.timeout_s
        self.requests = [_encode(spec.method, url.path, self.host, self.port, h, spec.body) for h in spec.headers]
        self.connect_request = _encode("GET", urlsplit(spec.connect_url).path, self.host, self.port, {}, None)
        self.conn: _RawHttp | None = None

    async def send(self, index: int) -> tuple[int, bytes]:
        """index: which pre-encoded request; -1 is the connect URL."""
        request = self.connect_request if index < 0 else self.requests[index]
        try:
            async with asyncio.timeout(self.timeout_s):
                if self.conn is None or not self.conn.reusable:
                    self.close()
                    _, self.conn = await asyncio.get_running_loop().create_connection(_RawHttp, self.host, self.port)
                return await self.conn.exchange(request)
        except BaseException:
            self.close()  # the connection's state is unknown: never reuse it
            raise

    def close(self) -> None:
        if self.conn and self.conn.transport:
            self.conn.transport.close()
        self.conn = None


def _encode(method: str, path: str, host: str, port: int, headers: dict[str, str], body: bytes | None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


class AiohttpClient:
    """The same traffic through aiohttp's client: one shared session, keep-alive connections."""

    def __init__(self, spec: LoadSpec, session: aiohttp.ClientSession) -> None:
        self.spec = spec
        self.session = session

    async def send(self, index: int) -> tuple[int, bytes]:
        if index < 0:
            method, url, body, headers = "GET", self.spec.connect_url, None, {}
        else:
            method, url, body, headers = self.spec.method, self.spec.url, self.spec.body, self.spec.headers[index]
        async with self.session.request(method, url, data=body, headers=headers) as response:
            return response.status, await response.read()

    def close(self) -> None:
        pass


def run_load(spec: LoadSpec) -> LoadResult:
    """Process entry point: uvloop when available, as the server itself uses. The generator's own
    garbage collector is held off during a phase: its pauses would show up as server latency."""
    try:
        import uvloop
    except ImportError:
        uvloop = None
    gc.collect()
    gc.disable()
    try:
        result = asyncio.run(_generate(spec)) if uvloop is None else uvloop.run(_generate(spec))
    finally:
        gc.enable()
    if TRACE and spec.mode == "claim":
        # (start offset s, latency s, outcome) of every request slower than 100 ms, for diagnosis.
        Path(os.environ["PXQ_BENCH_TRACE"]).write_text(json.dumps(sorted(TRACE)))
        TRACE.clear()
    return result


def warm_process() -> int:
    """Submitted once per pool process so spawning and imports happen before any timed phase."""
    with suppress(ImportError):
        import uvloop  # noqa: F401
    return os.getpid()


async def _generate(spec: LoadSpec) -> LoadResult:
    result = LoadResult()
    rng = random.Random(spec.seed)
    budget = spec.max_requests or math.inf
    measured_start = spec.start_at + spec.warmup_s
    deadline = measured_start + spec.duration_s
    buckets: Counter[int] = Counter()
    cpu_at_start: list[float] = []
    in_flight: Counter[int] = Counter()
    # limit=concurrency: every client keeps its own keep-alive connection, as a RawClient does.
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=spec.concurrency, keepalive_timeout=120),
        timeout=aiohttp.ClientTimeout(total=spec.timeout_s),
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,
    )

    async def client() -> None:
        nonlocal budget
        sender = RawClient(spec) if spec.client == "raw" else AiohttpClient(spec, session)
        # Open this client's connection off the clock: a connect storm is not part of the figures.
        with suppress(aiohttp.ClientError, TimeoutError, OSError, ProtocolError):
            await sender.send(-1)
        await asyncio.sleep(max(0.0, spec.start_at - time.monotonic()))
        try:
            while budget > 0:
                started = time.monotonic()
                if started >= deadline:
                    return
                # Without a warm-up every request counts: timers may fire a little before
                # start_at, and an unrecorded rush request might be the one that got a voucher.
                measured = started >= measured_start or not spec.warmup_s
                if measured:
                    if not cpu_at_start:
                        cpu_at_start.append(_own_cpu())
                    budget -= 1
                code = None
                user = rng.randrange(len(spec.headers))
                if measured and in_flight[user]:
                    result.overlaps += 1
                in_flight[user] += 1
                try:
                    status, payload = await sender.send(user)
                    outcome, code = classify(spec.mode, status, payload, spec.expected_status)
                except (aiohttp.ClientError, TimeoutError, OSError, ProtocolError) as exc:
                    outcome = f"client_{type(exc).__name__}"
                finally:
                    in_flight[user] -= 1
                ended = time.monotonic()
                if not measured:
                    continue
                result.outcomes[outcome] += 1
                result.latencies.setdefault(outcome, []).append(ended - started)
                if TRACE is not None and ended - started > 0.1:
                    TRACE.append((round(started - spec.start_at, 3), round(ended - started, 3), outcome))
                if code:
                    result.codes.append(code)
                    result.last_issued = max(result.last_issued, ended)
                buckets[int((ended - measured_start) / BUCKET_S)] += 1
                result.last_end = max(result.last_end, ended)
        finally:
            sender.close()

    try:
        await asyncio.gather(*(client() for _ in range(spec.concurrency)))
    finally:
        await session.close()
    result.measured_start = measured_start
    result.cpu_s = _own_cpu() - (cpu_at_start[0] if cpu_at_start else _own_cpu())
    result.buckets = [buckets[i] for i in range(max(buckets, default=-1) + 1)]
    return result


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


@dataclass
class Phase:
    """Merged results of every generator process for one phase, with CPU seen around it."""

    outcomes: Counter[str]
    latencies: dict[str, list[float]]  # by outcome, seconds
    codes: list[str]
    buckets: list[int]
    elapsed_s: float
    sellout_s: float  # from the start to the last 201
    overlaps: int
    cpu: dict[str, float]

    @property
    def completed(self) -> int:
        return sum(self.outcomes.values())

    @property
    def rps(self) -> float:
        return self.completed / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def sorted_latencies(self, outcome: str | None = None) -> list[float]:
        if outcome is not None:
            return sorted(self.latencies.get(outcome, []))
        return sorted(x for values in self.latencies.values() for x in values)

    def full_windows(self, windows: int) -> list[float]:
        """Requests/s of each whole BUCKET_S window (the last one also holds the drain)."""
        full = self.buckets[:windows] if len(self.buckets) > windows else self.buckets[:-1]
        return [n / BUCKET_S for n in full] or [self.rps]


async def run_phase(pool: ProcessPoolExecutor, procs: int, server_pid: int, **spec: Any) -> Phase:
    """Splits concurrency and request budget over `procs` processes that start together."""
    loop = asyncio.get_running_loop()
    concurrency, max_requests = spec.pop("concurrency"), spec.pop("max_requests")
    start_at = time.monotonic() + 1.0  # time for every process to open its connections
    futures = [
        loop.run_in_executor(
            pool,
            run_load,
            LoadSpec(
                concurrency=_share(concurrency, procs, i),
                max_requests=_share(max_requests, procs, i),
                start_at=start_at,
                seed=random.randrange(2**32),
                **spec,
            ),
        )
        for i in range(procs)
    ]
    await asyncio.sleep(max(0.0, start_at + spec["warmup_s"] - time.monotonic()))
    before = cpu_snapshot(server_pid)
    parts: list[LoadResult] = await asyncio.gather(*futures)
    after = cpu_snapshot(server_pid)
    measured_start = min(p.measured_start for p in parts)
    elapsed = max(p.last_end for p in parts) - measured_start
    wall = after["wall"] - before["wall"]
    cpu = {k: round((after[k] - before[k]) / wall, 2) for k in before if k != "wall"}
    cpu["loadgen"] = round(sum(p.cpu_s for p in parts) / max(elapsed, 1e-9), 2)
    # Whatever else ran meanwhile (another test run, the kernel's network work): noise to know of.
    cpu["other"] = round(max(0.0, cpu["machine"] - sum(v for k, v in cpu.items() if k != "machine")), 2)
    width = max(len(p.buckets) for p in parts)
    latencies: dict[str, list[float]] = {}
    for part in parts:
        for outcome, values in part.latencies.items():
            latencies.setdefault(outcome, []).extend(values)
    return Phase(
        outcomes=sum((p.outcomes for p in parts), Counter()),
        latencies=latencies,
        codes=[c for p in parts for c in p.codes],
        buckets=[sum(p.buckets[i] if i < len(p.buckets) else 0 for p in parts) for i in range(width)],
        elapsed_s=elapsed,
        sellout_s=max(0.0, max(p.last_issued for p in parts) - measured_start),
        overlaps=sum(p.overlaps for p in parts),
        cpu=cpu,
    )


def _share(total: int, parts: int, index: int) -> int:
    return total // parts + (1 if index < total % parts else 0)


# ---------------------------------------------------------------------------------------------
# CPU accounting from /proc (Linux): in cores used, so 1.0 is one core busy the whole time.

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_snapshot(server_pid: int) -> dict[str, float]:
    snap = {"wall": time.monotonic(), "server": 0.0, "postgres": 0.0, "redis": 0.0, "machine": 0.0}
    with _suppress_os():
        snap["server"] = _proc_cpu(server_pid)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with _suppress_os():
            comm = Path(f"/proc/{entry.name}/comm").read_text().strip()
            if comm == "postgres":
                snap["postgres"] += _proc_cpu(int(entry.name))
            elif comm == "redis-server":
                snap["redis"] += _proc_cpu(int(entry.name))
    with _suppress_os():
        fields_ = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        snap["machine"] = (sum(fields_[:8]) - fields_[3] - fields_[4]) / _TICKS  # all but idle, iowait
    return snap


def _proc_cpu(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(stat[11]) + int(stat[12])) / _TICKS  # utime, stime


@contextmanager
def _suppress_os() -> Iterator[None]:
    try:
        yield
    except (OSError, ValueError, IndexError):
        pass  # a process ended between listing and reading, or no /proc here


# ---------------------------------------------------------------------------------------------
# Server process and a clean database / Redis db.


def check_targets(database_url: str, redis_url: str, force: bool) -> None:
    """The run wipes both: refuse the test suite's targets, and anything not obviously a bench."""
    db_name = urlsplit(database_url).path.lstrip("/")
    redis_db = int(urlsplit(redis_url).path.lstrip("/") or 0)
    if urlsplit(database_url).scheme not in ("postgres", "postgresql"):
        sys.exit("claim_rush: PXQ_DATABASE_URL must be a postgres:// URL")
    if db_name == "test" or redis_db == TEST_REDIS_DB:
        sys.exit("claim_rush: refusing to wipe the test database / Redis db 15")
    if not force and ("bench" not in db_name or redis_db == 0):
        sys.exit(
            f"claim_rush: would drop the schema of database {db_name!r} and flush Redis db {redis_db}; "
            "use a database named *bench* and a Redis db other than 0, or pass --force"
        )


async def reset_stores(database_url: str, redis_url: str) -> None:
    import asyncpg
    import redis.asyncio as aioredis

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres", query="")))
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    conn = await asyncpg.connect(urlunsplit(parts._replace(query="")))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()
    redis = aioredis.from_url(redis_url)
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()


BAD_LEVELS = ("warning", "error", "critical")


def _log_level(line: str) -> str | None:
    """The server logs one JSON object a line (peixunquan.logs); anything else is not a problem."""
    try:
        return str(json.loads(line).get("level"))
    except (ValueError, AttributeError):
        return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "peixunquan.cli", *args]


def start_server(env: dict[str, str], server_log: TextIO) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        cli("serve"), cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=server_log, stderr=subprocess.STDOUT
    )


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


async def wait_healthy(http: aiohttp.ClientSession, base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with status {server.returncode}")
        try:
            async with http.get(f"{base}/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("server not healthy after 60 s")


# ---------------------------------------------------------------------------------------------
# Data: persons with verified identities and session tokens (project code, bench process).


def bench_id_number(index: int) -> str:
    """Unique, valid made-up ID numbers: 1000 sequence numbers per birth date, as tests/factories."""
    day, seq = divmod(index, 1000)
    first17 = f"{REGION}{date(1980, 1, 1) + timedelta(days=day):%Y%m%d}{seq:03d}"
    from vouchers.common.personal_data import check_digit

    return first17 + check_digit(first17)


async def create_trainees(svc: Any, count: int) -> list[str]:
    """What bind_verified_identity + open_session do, in bulk: Person rows (HMAC and ciphertexts),
    bound H5 accounts, and one session token per account."""
    from models import AccountChannel, ChannelAccount, Person
    from vouchers.common.clock import utcnow
    from vouchers.identity.sessions import SESSION

    numbers = [bench_id_number(i) for i in range(count)]
    hashes = [svc.keys.id_hash(n) for n in numbers]
    await Person.bulk_create(
        [
            Person(id_hash=h, id_cipher=svc.keys.encrypt(n, b"id"), name_cipher=svc.keys.encrypt(f"压测{i}", b"name"))
            for i, (n, h) in enumerate(zip(numbers, hashes, strict=True))
        ],
        batch_size=1000,
    )
    person_ids = dict(await Person.filter(id_hash__in=hashes).values_list("id_hash", "id"))
    now = utcnow()
    await ChannelAccount.bulk_create(
        [
            ChannelAccount(
                channel=AccountChannel.H5, app_id="bench", subject=f"bench-{i}", person_id=person_ids[h], bound_at=now
            )
            for i, h in enumerate(hashes)
        ],
        batch_size=1000,
    )
    account_ids = await ChannelAccount.filter(app_id="bench").values_list("id", flat=True)
    return [svc.tokens.issue(SESSION, account_id, svc.session_token_ttl_s) for account_id in account_ids]


async def load_data(env: dict[str, str], persons: int) -> list[str]:
    from models.database import close_db, init_db
    from peixunquan.app import build_services
    from peixunquan.config import load_config, load_secret
    from peixunquan.demo import load_regions
    from peixunquan.redis_client import connect_redis
    from vouchers.identity.bureau_auth import create_bureau_user

    # Same env and secret file as the server, so tokens signed here verify there.
    config = load_secret(load_config(env=env))
    await init_db(config.database.url)
    svc = build_services(config, connect_redis(config.redis.url))
    try:
        await load_regions()
        await create_bureau_user(BUREAU_USER, BUREAU_PASSWORD, REGION, display_name="压测")
        return await create_trainees(svc, persons)
    finally:
        await svc.redis.aclose()
        await close_db()


async def publish_batch(http: aiohttp.ClientSession, base: str, title: str, stock: int) -> int:
    """As the bureau would: log in, create a general batch with one eligible group, publish."""

    async def call(path: str, body: Any = None, token: str | None = None, expect: int = 200) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with http.post(f"{base}{path}", json=body, headers=headers) as response:
            if response.status != expect:
                raise RuntimeError(f"POST {path}: {response.status} {await response.text()}")
            return await response.json()

    token = (await call("/api/v1/admin/login", {"username": BUREAU_USER, "password": BUREAU_PASSWORD}))["token"]
    spec = {
        "title": title,
        "region": REGION,
        "value_mode": "face_value",
        "face_value_fen": 50_000,
        "distribution": "general",
        "project_types": ["就业技能培训"],
        "occupation": "电工",
        "eligible_groups": ["失业人员"],
        "validity_mode": "days_after_claim",
        "valid_days": 30,
        "quantity": stock,
    }
    batch_id = int((await call("/api/v1/admin/batches", spec, token, expect=201))["id"])
    await call(f"/api/v1/admin/batches/{batch_id}/publish", token=token)
    return batch_id


async def open_card_centers(http: aiohttp.ClientSession, base: str, tokens: Sequence[str]) -> None:
    """Each trainee opens the card center once, as trainees do while they wait for a rush to
    open: their sessions are then known to the server, as they would be at the moment it opens."""
    pending = iter(tokens)

    async def browse() -> None:
        for token in pending:
            async with http.get(f"{base}/api/v1/card-center", headers={"Authorization": f"Bearer {token}"}) as r:
                if r.status != 200:
                    raise RuntimeError(f"GET /api/v1/card-center: {r.status} {await r.text()}")

    await asyncio.gather(*(browse() for _ in range(32)))


async def pick_bare_path(http: aiohttp.ClientSession, base: str) -> tuple[str, int]:
    async with http.get(f"{base}{PING_PATH}") as response:
        if response.status == 200:
            return PING_PATH, 200
    log(f"{PING_PATH} is missing: the bare phase uses {FALLBACK_PATH} (404 through the error middleware)")
    return FALLBACK_PATH, 404


async def verify(database_url: str, redis_url: str, batch_id: int, codes: Sequence[str]) -> dict[str, int | None]:
    """What PostgreSQL (the system of record) and the Redis gate hold after the rush."""
    import asyncpg
    import redis.asyncio as aioredis

    conn = await asyncpg.connect(urlunsplit(urlsplit(database_url)._replace(query="")))
    try:
        in_db = await conn.fetchval("SELECT count(*) FROM voucher WHERE batch_id = $1", batch_id)
        duplicates = await conn.fetchval(
            "SELECT count(*) FROM (SELECT person_id FROM voucher WHERE batch_id = $1 "
            "GROUP BY person_id HAVING count(*) > 1) d",
            batch_id,
        )
        found = await conn.fetchval(
            "SELECT count(*) FROM voucher WHERE batch_id = $1 AND code = ANY($2::text[])", batch_id, list(codes)
        )
        remaining = await conn.fetchval("SELECT remaining FROM batch WHERE id = $1", batch_id)
    finally:
        await conn.close()
    redis = aioredis.from_url(redis_url)
    try:
        gate = await redis.get(f"pxq:gate:{{b{batch_id}}}:stock")
    finally:
        await redis.aclose()
    return {
        "in_db": in_db,
        "duplicates": duplicates,
        "missing": len(set(codes)) - found,  # codes answered 201 but absent from the database
        "db_remaining": remaining,
        "gate_stock": int(gate) if gate is not None else None,
    }


# ---------------------------------------------------------------------------------------------


def percentile_ms(sorted_s: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of sorted latencies in seconds, in milliseconds."""
    if not sorted_s:
        return 0.0
    return round(sorted_s[min(len(sorted_s) - 1, max(0, math.ceil(q * len(sorted_s)) - 1))] * 1000, 1)


async def bench(args: argparse.Namespace, env: dict[str, str], server: subprocess.Popen[bytes]) -> dict[str, Any]:
    base = f"http://127.0.0.1:{env['PXQ_SERVER_PORT']}"
    async with aiohttp.ClientSession() as http:
        await wait_healthy(http, base, server)
        log(f"server up (pid {server.pid}); creating {args.persons} trainees")
        tokens = await load_data(env, args.persons)
        rush_batch = await publish_batch(http, base, "压测：抢券批次", args.stock)
        warm_batch = await publish_batch(http, base, "压测：预热批次", max(1, args.stock // 10))
        bare_path, bare_status = await pick_bare_path(http, base)
        if not args.cold_sessions:
            log("every trainee opens the card center once (the page they wait on for the rush)")
            await open_card_centers(http, base, tokens)

    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=args.loadgen_procs, mp_context=ctx) as pool:
        await asyncio.gather(*(asyncio.wrap_future(pool.submit(warm_process)) for _ in range(args.loadgen_procs)))
        common = {
            "client": args.client,
            "concurrency": args.concurrency,
            "connect_url": f"{base}{bare_path}",
            "timeout_s": args.timeout,
        }
        bare_spec = {
            "mode": "bare",
            "url": f"{base}{bare_path}",
            "method": "GET",
            "body": None,
            "headers": [{}],
            "expected_status": bare_status,
            "max_requests": 0,
            "warmup_s": 1.0,
            # Half before the rush, half after: a noisy neighbour during one half shows up as
            # outlying windows, which the median ignores.
            "duration_s": args.bare_seconds / 2,
        }
        procs, pid = args.loadgen_procs, server.pid
        log(f"bare: GET {bare_path} x{args.concurrency} clients, {args.client} client, {args.bare_seconds / 2:g} s")
        bare = [await run_phase(pool, procs, pid, **bare_spec, **common)]
        claim = {
            "mode": "claim",
            "url": f"{base}/api/v1/claims",
            "method": "POST",
            "headers": [{"Authorization": f"Bearer {t}", "Content-Type": "application/json"} for t in tokens],
            "expected_status": 201,
            "warmup_s": 0.0,
        }
        if args.warmup_seconds > 0:
            # Another batch, so the server's PG and Redis pools, Lua scripts and batch cache are
            # warm when the rush starts, as on a server that has been serving for a while.
            log(f"warm-up: claims on batch {warm_batch} for {args.warmup_seconds:g} s")
            body = json.dumps({"batch_id": warm_batch}).encode()
            await run_phase(
                pool, procs, pid, body=body, max_requests=0, duration_s=args.warmup_seconds, **claim, **common
            )
        log(f"rush: {args.attempts} claims on batch {rush_batch} (stock {args.stock}), at most {args.duration:g} s")
        body = json.dumps({"batch_id": rush_batch}).encode()
        rush = await run_phase(
            pool, procs, pid, body=body, max_requests=args.attempts, duration_s=args.duration, **claim, **common
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
        "sellout_s": round(rush.sellout_s, 2),
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
        "cpu_cores": {"bare": bare[0].cpu, "rush": rush.cpu},
    }


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
    p.add_argument("--force", action="store_true", help="allow a database/Redis db not named as a bench target")
    args = p.parse_args(argv)
    for name in ("persons", "stock", "concurrency", "attempts", "loadgen_procs"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.loadgen_procs > args.concurrency:
        p.error("--loadgen-procs cannot exceed --concurrency")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # A plain SIGTERM would skip the `finally` that stops the server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    env = dict(os.environ)
    env.setdefault("PXQ_DATABASE_URL", DEFAULT_DATABASE_URL)
    env.setdefault("PXQ_REDIS_URL", DEFAULT_REDIS_URL)
    check_targets(env["PXQ_DATABASE_URL"], env["PXQ_REDIS_URL"], args.force)

    with tempfile.TemporaryDirectory(prefix="pxq-bench-") as tmp:
        secret_file = Path(tmp) / "secret.key"
        secret_file.write_text(os.urandom(32).hex() + "\n", encoding="ascii")
        secret_file.chmod(0o600)
        env.update(PXQ_SERVER_PORT=str(free_port()), PXQ_SECURITY_SECRET_KEY_FILE=str(secret_file))
        env["PXQ_SERVER_PUBLIC_URL"] = f"http://127.0.0.1:{env['PXQ_SERVER_PORT']}"
        # As in production, workers are separate processes: the server only serves.
        env["PXQ_WORKER_EMBEDDED"] = "false"

        log(f"resetting {urlsplit(env['PXQ_DATABASE_URL']).path} and Redis {env['PXQ_REDIS_URL'].rsplit('/', 1)[-1]}")
        asyncio.run(reset_stores(env["PXQ_DATABASE_URL"], env["PXQ_REDIS_URL"]))
        subprocess.run(cli("migrate"), cwd=ROOT, env=env, stdout=sys.stderr, check=True)

        server_log_path = Path(tmp) / "server.log"
        with server_log_path.open("w") as server_log:
            server = start_server(env, server_log)
            try:
                figures = asyncio.run(bench(args, env, server))
            except BaseException:
                log("failed; server log tail:\n" + "".join(server_log_path.read_text().splitlines(True)[-30:]))
                raise
            finally:
                stop_server(server)
        problems = [line for line in server_log_path.read_text().splitlines() if _log_level(line) in BAD_LEVELS]
        figures["server_log_problems"] = dict(Counter(_log_level(line) for line in problems))
        if problems:
            log(f"server logged {len(problems)} warnings/errors, first:\n{problems[0]}")

    figures["postgres_via"] = "unix socket" if "host=/" in env["PXQ_DATABASE_URL"] else "tcp"
    print(json.dumps(figures, ensure_ascii=False, separators=(",", ":")), flush=True)
    consistent = (
        figures["oversold"] == 0
        and figures["duplicates"] == 0
        and figures["in_db"] == figures["issued"]
        and figures["missing"] == 0
        and figures["db_remaining"] == figures["stock"] - figures["issued"]
    )
    return 0 if consistent else 1


if __name__ == "__main__":
    sys.exit(main())
