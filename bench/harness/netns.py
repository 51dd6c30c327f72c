"""Several "hosts" on one machine: Linux network namespaces, each joined to the root namespace by
a veth pair, so that servers in them are reached over a network interface, at addresses of their
own, as application hosts behind a load balancer are.

Host i (from 1) gets the i-th /24 of the network (default 10.77.0.0/16): 10.77.i.1 on the root
namespace's end of its veth pair, 10.77.i.2 on its own end (`eth0` in the namespace). A host has
no route but to its own /24, so it reaches the root namespace's services only through what
listens on 10.77.i.1 (bench.harness.forward); the load generator, in the root namespace, reaches
10.77.i.2 directly. Only the file system is shared: a Unix socket (PostgreSQL's) is reachable from
every namespace.

Needs root and iproute2's `ip`. Refuses to start when a namespace or interface of the same name,
or an address in the network, already exists (another run, or a run killed with SIGKILL: its
namespaces are then listed for `ip netns del`); removes everything it made on the way out, after
killing whatever still runs inside its namespaces (only processes the run started can).
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

DEFAULT_PREFIX = "pxqbench"
DEFAULT_NETWORK = "10.77.0.0/16"
IFNAMSIZ = 15  # the longest interface name Linux takes


@dataclass(frozen=True)
class Host:
    namespace: str
    veth: str  # the root namespace's end of the pair
    address: str  # this host's address, in its namespace
    gateway: str  # the root namespace's address on the pair, where the forwarder listens

    def exec_prefix(self) -> list[str]:
        """What runs a command inside this host."""
        return ["ip", "netns", "exec", self.namespace]


def unavailable() -> str | None:
    """Why namespaces cannot be made here, or None."""
    if shutil.which("ip") is None:
        return "`ip` (iproute2) is not installed"
    if os.geteuid() != 0:
        return "network namespaces need root (run as root, or without --hosts)"
    return None


def plan(count: int, prefix: str, network: str) -> list[Host]:
    """Names and addresses of `count` hosts; ValueError when they do not fit."""
    net = ipaddress.ip_network(network)
    if not isinstance(net, ipaddress.IPv4Network) or net.prefixlen > 24:
        raise ValueError(f"{network}: an IPv4 network of /24 or larger is needed")
    if (count + 1) * 256 > net.num_addresses:
        raise ValueError(f"{network} holds fewer than {count} /24s after its first")
    if len(f"{prefix}-h{count}n") > IFNAMSIZ:
        raise ValueError(f"--netns-prefix {prefix!r} is too long for interface names (at most {IFNAMSIZ} chars)")
    base = net.network_address
    return [
        Host(f"{prefix}-h{i}", f"{prefix}-h{i}", str(base + i * 256 + 2), str(base + i * 256 + 1))
        for i in range(1, count + 1)
    ]


def _ip(*args: str) -> str:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def conflicts(count: int, prefix: str = DEFAULT_PREFIX, network: str = DEFAULT_NETWORK) -> list[str]:
    """What stands in the way of making these hosts (a benchmark checks before its baseline run)."""
    return _conflicts(plan(count, prefix, network), network)


def _conflicts(hosts: list[Host], network: str) -> list[str]:
    net = ipaddress.ip_network(network)
    found = []
    namespaces = {line.split()[0] for line in _ip("netns", "list").splitlines() if line.strip()}
    links = {line.split(":")[1].strip().split("@")[0] for line in _ip("-o", "link", "show").splitlines()}
    for host in hosts:
        if host.namespace in namespaces:
            found.append(f"namespace {host.namespace} exists (ip netns del {host.namespace})")
        if host.veth in links:
            found.append(f"interface {host.veth} exists (ip link del {host.veth})")
    for line in _ip("-o", "-4", "addr", "show").splitlines():
        fields = line.split()
        address = ipaddress.ip_interface(fields[3])
        if address.network.overlaps(net):
            found.append(f"{address} on {fields[1]} is in {network}")
    return found


def _create(host: Host, made: list[Callable[[], None]]) -> None:
    inner = f"{host.veth}n"  # renamed eth0 once inside
    _ip("netns", "add", host.namespace)
    made.append(lambda: _remove_namespace(host.namespace))
    _ip("link", "add", host.veth, "type", "veth", "peer", "name", inner)
    made.append(lambda: _ip("link", "del", host.veth))
    _ip("link", "set", inner, "netns", host.namespace)
    _ip("addr", "add", f"{host.gateway}/24", "dev", host.veth)
    _ip("link", "set", host.veth, "up")
    ns = ("-n", host.namespace)
    _ip(*ns, "link", "set", "lo", "up")
    _ip(*ns, "link", "set", inner, "name", "eth0")
    _ip(*ns, "addr", "add", f"{host.address}/24", "dev", "eth0")
    _ip(*ns, "link", "set", "eth0", "up")


def _remove_namespace(namespace: str) -> None:
    """Kills what still runs inside (the run's own servers, if stopping them failed), then deletes
    the namespace, which takes its end of the veth pair, and so the pair, with it."""
    with suppress(RuntimeError):
        for pid in _ip("netns", "pids", namespace).split():
            with suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
    _ip("netns", "del", namespace)


@contextmanager
def namespaces(count: int, prefix: str = DEFAULT_PREFIX, network: str = DEFAULT_NETWORK) -> Iterator[list[Host]]:
    """`count` hosts while the block runs; all removed afterwards, however the block ends."""
    why = unavailable()
    if why:
        raise RuntimeError(why)
    hosts = plan(count, prefix, network)
    conflicts = _conflicts(hosts, network)
    if conflicts:
        raise RuntimeError("cannot make the hosts: " + "; ".join(conflicts))
    made: list[Callable[[], None]] = []
    try:
        for host in hosts:
            _create(host, made)
        yield hosts
    finally:
        errors = []
        for undo in reversed(made):
            try:
                undo()
            except RuntimeError as exc:
                errors.append(str(exc))
        # A veth goes with its namespace: deleting it again fails, which is expected.
        for error in errors:
            if "Cannot find device" not in error:
                print(f"netns: cleaning up: {error}", file=sys.stderr)
