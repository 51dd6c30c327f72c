"""Real Redis in HA for the tests: a Redis Cluster (3 masters, 3 replicas) and a Sentinel set-up
(one master, one replica, three sentinels), each a set of `redis-server` processes on local ports
with their data in a temporary directory, killed when the fixture ends.

They need only `redis-server` and `redis-cli`. CI's PostgreSQL pass runs them (a missing binary
fails it there); the embedded SQLite pass and a laptop without redis-server skip them.

Ports: free ones the system hands out, or drawn from PXQ_TEST_REDIS_HA_PORTS (data and cluster bus
ports) and PXQ_TEST_REDIS_HA_SENTINEL_PORTS (sentinels), each "first-last", where a machine
shares its ports between several test runs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from redis.crc import key_slot

READY_S = 20  # a set-up (or a failover) settles within this, or the test fails
SERVICE = "pxq"  # the Sentinel service name


def skip_reason() -> str | None:
    """Why the Redis HA tests cannot run here, or None (in CI's PostgreSQL pass a missing binary
    is a failure, not a reason: see `skip_or_fail_without_redis_server`)."""
    if os.environ.get("PXQ_TEST_BACKEND") == "embedded":
        return "Redis HA runs in CI's PostgreSQL pass; the embedded pass is SQLite + the in-process Redis"
    missing = [b for b in ("redis-server", "redis-cli") if shutil.which(b) is None]
    if missing and os.environ.get("CI") != "true":
        return f"Redis HA tests need {' and '.join(missing)}"
    return None


# For a Redis HA test module: skipped before any set-up where they cannot run.
skip_unless_redis_ha = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")


def skip_or_fail_without_redis_server() -> None:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    missing = [b for b in ("redis-server", "redis-cli") if shutil.which(b) is None]
    if missing:
        pytest.fail(f"CI must run the Redis HA tests: {', '.join(missing)} not installed")


_taken: set[int] = set()


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _system_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ports(n: int, sentinel: bool = False) -> list[int]:
    span = os.environ.get("PXQ_TEST_REDIS_HA_SENTINEL_PORTS" if sentinel else "PXQ_TEST_REDIS_HA_PORTS")
    if span:
        first, last = (int(p) for p in span.split("-"))
        candidates = list(range(first, last + 1))
    else:
        candidates = [_system_port() for _ in range(4 * n)]
    found = [p for p in candidates if p not in _taken and _free(p)][:n]
    if len(found) < n:
        raise RuntimeError(f"not {n} free ports ({span or 'system'})")
    _taken.update(found)
    return found


@dataclass
class RedisProcess:
    """One redis-server (or sentinel) process; `restart` brings it back on the same port."""

    port: int
    directory: Path
    sentinel: bool = False
    popen: subprocess.Popen | None = None

    def start(self) -> None:
        args = ["redis-server", str(self.directory / "redis.conf")] + (["--sentinel"] if self.sentinel else [])
        log = open(self.directory / "stdout.log", "ab")
        self.popen = subprocess.Popen(args, cwd=self.directory, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + READY_S
        while True:
            try:
                if self.client().ping():
                    return
            except redis.RedisError:
                pass
            if self.popen.poll() is not None or time.monotonic() > deadline:
                tail = (self.directory / "redis.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"redis-server on {self.port} did not start:\n{tail}")
            time.sleep(0.05)

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2, socket_connect_timeout=1, decode_responses=True)

    def kill(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


def _conf(directory: Path, port: int, *lines: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    common = [
        f"port {port}",
        "bind 127.0.0.1",
        "protected-mode no",
        f'dir "{directory}"',
        f'logfile "{directory / "redis.log"}"',
        'save ""',
        "appendonly no",
    ]
    (directory / "redis.conf").write_text("\n".join(common + list(lines)) + "\n")


def wait_until(what: str, check, timeout: float = READY_S) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(redis.RedisError, OSError):
            if check():
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout}s")
        time.sleep(0.1)


@dataclass
class RedisClusterSetup:
    nodes: list[RedisProcess] = field(default_factory=list)

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def live(self) -> list[RedisProcess]:
        return [n for n in self.nodes if n.alive]

    def slots(self) -> list:
        return self.live()[0].client().execute_command("CLUSTER", "SLOTS")

    def master_of(self, key: str) -> RedisProcess:
        slot = key_slot(key.encode())
        for start, end, master, *_ in self.slots():
            if start <= slot <= end:
                return next(n for n in self.nodes if n.port == int(master[1]))
        raise LookupError(slot)

    def healthy(self) -> bool:
        """Every live node sees the cluster ok, with three masters on live nodes."""
        live = {n.port for n in self.live()}
        for node in self.live():
            info = node.client().execute_command("CLUSTER", "INFO")
            if "cluster_state:ok" not in info:
                return False
            masters = {int(m[1]) for _, _, m, *_ in node.client().execute_command("CLUSTER", "SLOTS")}
            if len(masters) != 3 or not masters <= live:
                return False
        return True

    def wait_healthy(self) -> None:
        wait_until("cluster healthy", self.healthy)

    def flush(self) -> None:
        for node in self.live():
            with contextlib.suppress(redis.ReadOnlyError, redis.ResponseError):
                node.client().flushall()

    def stop(self) -> None:
        for node in self.nodes:
            node.kill()


def start_cluster(root: Path) -> RedisClusterSetup:
    """Six nodes, three masters each with a replica. A short node timeout so that a killed master's
    replica takes over within a few seconds; replicas always may (validity factor 0)."""
    setup = RedisClusterSetup()
    data_ports, bus_ports = ports(6), ports(6)
    try:
        for port, bus in zip(data_ports, bus_ports, strict=True):
            directory = root / f"node-{port}"
            _conf(
                directory,
                port,
                "cluster-enabled yes",
                f"cluster-port {bus}",
                "cluster-config-file nodes.conf",
                "cluster-node-timeout 1000",
                "cluster-replica-validity-factor 0",
            )
            node = RedisProcess(port, directory)
            setup.nodes.append(node)
            node.start()
        subprocess.run(
            [
                "redis-cli",
                "--cluster",
                "create",
                *(f"127.0.0.1:{p}" for p in data_ports),
                "--cluster-replicas",
                "1",
                "--cluster-yes",
            ],
            check=True,
            capture_output=True,
            timeout=READY_S,
        )
        setup.wait_healthy()
        # Each replica attached and in sync, so a failover has someone to promote.
        wait_until("replicas in sync", lambda: _replicas_synced(setup))
    except BaseException:
        setup.stop()
        raise
    return setup


def _replicas_synced(setup: RedisClusterSetup) -> bool:
    roles = [n.client().info("replication") for n in setup.live()]
    replicas = [r for r in roles if r["role"] == "slave"]
    return len(replicas) == 3 and all(r["master_link_status"] == "up" for r in replicas)


@dataclass
class RedisSentinelSetup:
    master: RedisProcess
    replica: RedisProcess
    sentinels: list[RedisProcess]

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)
        return f"redis+sentinel://{hosts}/{SERVICE}/0"

    def current_master(self) -> RedisProcess:
        for sentinel in self.sentinels:
            if sentinel.alive:
                _, port = sentinel.client().execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE)
                return next(p for p in (self.master, self.replica) if p.port == int(port))
        raise LookupError("no sentinel")

    def ready(self) -> bool:
        """Every sentinel agrees on a live master, knows the other two sentinels and a replica in sync."""
        masters = set()
        for sentinel in self.sentinels:
            client = sentinel.client()
            _, port = client.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE)
            masters.add(int(port))
            if len(client.execute_command("SENTINEL", "SENTINELS", SERVICE)) != 2:
                return False
            replicas = client.execute_command("SENTINEL", "REPLICAS", SERVICE)
            if not any("s_down" not in _flags(r) and _field(r, "master-link-status") == "ok" for r in replicas):
                return False
        if len(masters) != 1:
            return False
        master = self.current_master()
        return master.alive and master.client().info("replication")["role"] == "master"

    def wait_ready(self) -> None:
        wait_until("sentinels agree", self.ready)

    def flush(self) -> None:
        self.current_master().client().flushall()

    def stop(self) -> None:
        for process in (*self.sentinels, self.master, self.replica):
            process.kill()


def _field(reply, name: str) -> str | None:
    if isinstance(reply, dict):
        return reply.get(name)
    pairs = dict(zip(reply[::2], reply[1::2], strict=True))
    return pairs.get(name)


def _flags(reply) -> str:
    return _field(reply, "flags") or ""


def start_sentinel(root: Path) -> RedisSentinelSetup:
    """Sentinels that call a master down after one second without an answer (quorum 2 of 3)."""
    master_port, replica_port = ports(2)
    _conf(root / "master", master_port)
    _conf(root / "replica", replica_port, f"replicaof 127.0.0.1 {master_port}")
    sentinels = []
    for port in ports(3, sentinel=True):
        directory = root / f"sentinel-{port}"
        _conf(
            directory,
            port,
            f"sentinel monitor {SERVICE} 127.0.0.1 {master_port} 2",
            f"sentinel down-after-milliseconds {SERVICE} 1000",
            f"sentinel failover-timeout {SERVICE} 5000",
            f"sentinel parallel-syncs {SERVICE} 1",
        )
        sentinels.append(RedisProcess(port, directory, sentinel=True))
    setup = RedisSentinelSetup(
        RedisProcess(master_port, root / "master"), RedisProcess(replica_port, root / "replica"), sentinels
    )
    try:
        for process in (setup.master, setup.replica, *setup.sentinels):
            process.start()
        setup.wait_ready()
    except BaseException:
        setup.stop()
        raise
    return setup


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterSetup]:
    """A cluster shared by the tests that leave it whole (they may flush it)."""
    skip_or_fail_without_redis_server()
    setup = start_cluster(tmp_path_factory.mktemp("redis-cluster"))
    yield setup
    setup.stop()


@pytest.fixture(scope="session")
def redis_sentinel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisSentinelSetup]:
    """A Sentinel set-up shared by the tests that leave it whole (they may flush it)."""
    skip_or_fail_without_redis_server()
    setup = start_sentinel(tmp_path_factory.mktemp("redis-sentinel"))
    yield setup
    setup.stop()
