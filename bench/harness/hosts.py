"""Servers on several "hosts" of this machine (network namespaces, bench.harness.netns), all
against the root namespace's PostgreSQL and Redis: what a benchmark's `--hosts N` starts.

PostgreSQL and Redis listen on 127.0.0.1 of the root namespace, which no other namespace can
reach. The hosts reach them:

- PostgreSQL over its Unix socket when the database URL names one (`?host=/var/run/postgresql`,
  the benchmarks' default when the socket exists): namespaces share the file system, so this is
  the same path the one-process baseline takes, with no hop added; otherwise over TCP through
  the forwarder;
- Redis over TCP through the forwarder (bench.harness.forward) on the host's gateway address:
  the claim gate's traffic then crosses a veth pair and one user-space copy, more than a LAN
  between real hosts costs in CPU, and it is counted (`cpu_cores.*.forwarder`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.harness.forward import forwarding
from bench.harness.netns import Host, namespaces
from bench.harness.server import Launch


@dataclass(frozen=True)
class Hosts:
    launches: list[Launch]  # one server a host
    bases: list[str]  # http://address:port of each host's server, in the same order
    forwarder_pid: int
    paths: dict[str, str]  # how the hosts reach PostgreSQL and Redis


def _tcp_target(url: str, default_port: int) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or '127.0.0.1'}:{parts.port or default_port}"


def _via(url: str, address: str, port: int) -> str:
    """`url` with its host and port replaced (user, database/db and options kept)."""
    parts = urlsplit(url)
    user = parts.netloc.rpartition("@")[0]
    return urlunsplit(parts._replace(netloc=f"{user + '@' if user else ''}{address}:{port}"))


@contextmanager
def on_hosts(env: dict[str, str], count: int, prefix: str, network: str, tmp: Path) -> Iterator[Hosts]:
    """`count` namespaces and a forwarder while the block runs, and what starts a server in each
    (`env` as for a local server: prepare_server_env's port and secret file; the same secret on
    every host, as hosts behind one load balancer share it). Everything is removed afterwards."""
    database_url, redis_url = env["PXQ_DATABASE_URL"], env["PXQ_REDIS_URL"]
    postgres_socket = "host=/" in urlsplit(database_url).query
    targets = {"redis": _tcp_target(redis_url, 6379)}
    if not postgres_socket:
        targets["postgres"] = _tcp_target(database_url, 5432)
    port = env["PXQ_SERVER_PORT"]  # free in every namespace: each has its own ports
    with ExitStack() as stack:
        hosts: list[Host] = stack.enter_context(namespaces(count, prefix, network))
        forwarder_pid, ports = stack.enter_context(forwarding([h.gateway for h in hosts], list(targets.values())))
        launches, bases = [], []
        for i, host in enumerate(hosts, 1):
            host_env = dict(env)
            base = f"http://{host.address}:{port}"
            host_env.update(PXQ_SERVER_HOST=host.address, PXQ_SERVER_PUBLIC_URL=base)
            host_env["PXQ_REDIS_URL"] = _via(redis_url, host.gateway, ports[targets["redis"]][host.gateway])
            if not postgres_socket:
                forwarded = ports[targets["postgres"]][host.gateway]
                host_env["PXQ_DATABASE_URL"] = _via(database_url, host.gateway, forwarded)
            launches.append(Launch(host_env, tmp / f"server-h{i}.log", tuple(host.exec_prefix())))
            bases.append(base)
        paths = {
            "postgres": "unix socket" if postgres_socket else "tcp via forwarder",
            "redis": "tcp via forwarder",
        }
        yield Hosts(launches, bases, forwarder_pid, paths)
