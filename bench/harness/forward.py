"""A TCP forwarder, so that servers in network namespaces reach the PostgreSQL and Redis of the
root namespace, which listen on 127.0.0.1 only: a namespace has a loopback of its own.

It runs as its own process (`python -m bench.harness.forward`), not in the benchmark's event loop,
which blocks while it reads /proc for CPU figures; its CPU is then reported on its own. Without
`iptables`/`nft` here, and with no wish to change a shared machine's firewall, a user-space
forwarder is the least intrusive way: it listens on the root namespace's end of each host's veth
pair, i.e. on addresses that exist only for the run. Data is copied between two asyncio protocols
(uvloop when available), with flow control: a peer that cannot keep up pauses the other's reads.

    python -m bench.harness.forward --listen 10.77.1.1 --listen 10.77.2.1 --to 127.0.0.1:6379

prints one JSON line, {"127.0.0.1:6379": {"10.77.1.1": port, ...}}, once every listener is open,
and forwards until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

Ports = dict[str, dict[str, int]]  # target "host:port" -> listen address -> port


class _Pipe(asyncio.Protocol):
    """One side of a forwarded connection: what it receives goes to its peer's transport."""

    def __init__(self, peer: _Pipe | None = None) -> None:
        self.transport: Any = None  # uvloop's transports are not asyncio.Transport subclasses
        self.peer = peer

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        with suppress(OSError, AttributeError):  # small request/answer exchanges: no Nagle delay
            transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.write(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.close()

    # Our transport's write buffer is full: stop reading from the side that fills it.
    def pause_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.resume_reading()


class _Inbound(_Pipe):
    """A client's connection: what it sends before the connection to the target is open waits
    here (pausing reads in connection_made is not enough: uvloop starts reading after it)."""

    def __init__(self, target: tuple[str, int]) -> None:
        super().__init__()
        self.target = target
        self.early: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.connecting = asyncio.get_running_loop().create_task(self._connect())  # kept: tasks are weak

    def data_received(self, data: bytes) -> None:
        if self.peer is None:
            self.early.append(data)
        else:
            super().data_received(data)

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            _, outbound = await loop.create_connection(lambda: _Pipe(self), *self.target)
        except OSError:
            self.transport.close()
            return
        if self.transport.is_closing():  # the client left while we connected
            outbound.transport.close()
            return
        self.peer = outbound
        for data in self.early:
            outbound.transport.write(data)
        self.early.clear()


async def _serve(listen: Sequence[str], targets: Sequence[str]) -> None:
    loop = asyncio.get_running_loop()
    ports: Ports = {}
    servers = []
    for target in targets:
        host, _, port = target.rpartition(":")
        for address in listen:
            server = await loop.create_server(lambda t=(host, int(port)): _Inbound(t), address, 0)
            servers.append(server)
            ports.setdefault(target, {})[address] = server.sockets[0].getsockname()[1]
    print(json.dumps(ports), flush=True)
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    loop.add_signal_handler(signal.SIGINT, stop.set_result, None)
    await stop
    for server in servers:
        server.close()


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Forward TCP from listen addresses to targets.")
    p.add_argument("--listen", action="append", required=True, help="an address to listen on (a port is picked)")
    p.add_argument("--to", action="append", required=True, help="host:port to forward to")
    args = p.parse_args(argv)
    try:
        import uvloop
    except ImportError:
        asyncio.run(_serve(args.listen, args.to))
    else:
        uvloop.run(_serve(args.listen, args.to))
    return 0


@contextmanager
def forwarding(listen: Sequence[str], targets: Sequence[str]) -> Iterator[tuple[int, Ports]]:
    """The forwarder running while the block runs: its pid and its ports."""
    argv = [sys.executable, "-m", "bench.harness.forward"]
    argv += [a for address in listen for a in ("--listen", address)]
    argv += [a for target in targets for a in ("--to", target)]
    forwarder = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    try:
        assert forwarder.stdout is not None
        line = forwarder.stdout.readline()
        if not line:
            raise RuntimeError(f"forwarder exited with status {forwarder.wait()}")
        yield forwarder.pid, json.loads(line)
    finally:
        if forwarder.poll() is None:
            forwarder.terminate()
            try:
                forwarder.wait(timeout=5)
            except subprocess.TimeoutExpired:
                forwarder.kill()
                forwarder.wait()


if __name__ == "__main__":
    sys.exit(main())
