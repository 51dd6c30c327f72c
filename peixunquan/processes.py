"""`peixunquan serve --processes N`: a parent process that runs N server children on one port.

The children share `[server] host:port` through the kernel's SO_REUSEPORT: the parent opens N
listening sockets on it, one per child slot, the kernel spreads new connections over them, and
child i serves on slot i's socket (inherited). The parent serves nothing itself. Because the
parent keeps each slot's socket open, a successor started on SIGHUP, or after a child died,
takes over the connections waiting in its queue: had each child bound a socket of its own, the
kernel would reset them when the old child closed it (unless net.ipv4.tcp_migrate_req is on),
which the SIGHUP test saw happen. It starts the children, restarts one that dies (after a back-off that grows while it
keeps dying young), forwards SIGTERM/SIGINT and exits once every child has stopped, and on
SIGHUP replaces the children one at a time.

Each child is a re-exec of the same command (`python -m peixunquan.cli <the same arguments>
--child I`) rather than a `multiprocessing` process: a child is then exactly what a one-process
`serve` runs (a fresh interpreter that reads the config, opens its own database and Redis pools
and installs aiohttp's signal handlers), nothing of the parent's state leaks into it, the parent
needs neither an event loop nor the application's imports, and a SIGHUP picks up new code and a
changed config file the way a restart would. `multiprocessing`'s spawn start method would give
the same fresh interpreter but adds pickling, its own resource tracker and a `__main__` re-import,
for nothing this needs.

Signals: each child gets SIGTERM once and then stops gracefully (peixunquan.child_server), and
children run in a process group of their own so that a terminal's Ctrl-C reaches the parent only.
A child watches its stdin, a pipe from the parent: when the parent is gone (even killed with
SIGKILL), the pipe ends and the child stops gracefully itself.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType

log = logging.getLogger(__name__)

TICK_S = 0.1
READY_TIMEOUT_S = 60.0  # a new child must answer /healthz within this after a SIGHUP
PROBE_TIMEOUT_S = 2.0
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 10.0
STABLE_S = 10.0  # a child that lived this long died of something else than a crash loop
MAX_QUICK_FAILURES = 10  # then the parent gives up, stops the others and exits 1
BACKLOG = 128  # aiohttp's own default


@dataclass
class Child:
    index: int
    popen: subprocess.Popen[bytes]
    started: float = field(default_factory=time.monotonic)
    stopping: bool = False

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def terminate(self) -> None:
        """SIGTERM, once."""
        if not self.stopping and self.alive():
            self.stopping = True
            self.popen.send_signal(signal.SIGTERM)

    def release(self) -> None:
        """The parent's end of the child's stdin pipe, once the child has exited."""
        if self.popen.stdin is not None and not self.popen.stdin.closed:
            self.popen.stdin.close()


def probe_host(host: str) -> str:
    """Where the parent reaches its children's /healthz: loopback when they listen everywhere."""
    return {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)


def listening_socket(host: str, port: int) -> socket.socket:
    """One of the N sockets on host:port, with SO_REUSEPORT so that the kernel spreads new
    connections over them. Fails (OSError) as a one-process `serve` would when another program
    holds the port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


class Supervisor:
    """`command(index, fd)` is the argument list that starts child `index` on the listening socket
    whose descriptor is `fd`."""

    def __init__(self, command: Callable[[int, int], list[str]], count: int, host: str, port: int) -> None:
        self.command = command
        self.count = count
        self.probe = (probe_host(host), port)
        # Slot i's socket, opened here and inherited by every child i in turn, so that
        # connections waiting in its queue when a child stops (SIGHUP) or dies are accepted by the
        # successor: closing the last descriptor of a SO_REUSEPORT socket resets them (unless
        # Linux's net.ipv4.tcp_migrate_req is on).
        self.sockets: list[socket.socket] = []
        try:
            for _ in range(count):
                self.sockets.append(listening_socket(host, port))
        except OSError:
            self._close_sockets()
            raise
        self.children: dict[int, Child] = {}
        self.retired: list[Child] = []  # replaced by a SIGHUP, finishing their requests
        self.quick_failures = [0] * count
        self.restart_at: dict[int, float] = {}
        self.stop_requested = False
        self.kill_requested = False
        self.reload_requested = False
        self.failed = False

    # --- signals ------------------------------------------------------------------------------

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        if self.stop_requested:
            # A second SIGTERM/SIGINT while children finish their requests: stop waiting.
            self.kill_requested = True
        self.stop_requested = True

    def _on_reload(self, signum: int, frame: FrameType | None) -> None:
        self.reload_requested = True

    # --- the loop -----------------------------------------------------------------------------

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_reload)
        log.info("supervisor started", extra={"processes": self.count})
        try:
            for index in range(self.count):
                self.children[index] = self._start(index)
            while not self.stop_requested and not self.failed:
                if self.reload_requested:
                    self.reload_requested = False
                    self._replace_all()
                self._watch()
                time.sleep(TICK_S)
        finally:
            self._stop_all()
        log.info("supervisor stopped")
        return 1 if self.failed else 0

    def _start(self, index: int) -> Child:
        fd = self.sockets[index].fileno()
        popen = subprocess.Popen(self.command(index, fd), stdin=subprocess.PIPE, process_group=0, pass_fds=(fd,))
        child = Child(index, popen)
        log.info("child %d started (pid %d)", index, child.pid, extra={"child": index, "child_pid": child.pid})
        return child

    def _watch(self) -> None:
        """Restarts the children that died, each after its back-off; forgets retired ones that ended."""
        now = time.monotonic()
        for index, child in list(self.children.items()):
            status = child.popen.poll()
            if status is None:
                continue
            child.release()
            del self.children[index]
            young = now - child.started < STABLE_S
            self.quick_failures[index] = self.quick_failures[index] + 1 if young else 0
            if self.quick_failures[index] >= MAX_QUICK_FAILURES:
                log.error(
                    "child %d died %d times in a row within %g s of starting; giving up",
                    index,
                    self.quick_failures[index],
                    STABLE_S,
                    extra={"child": index, "child_pid": child.pid, "status": status},
                )
                self.failed = True
                return
            delay = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** max(0, self.quick_failures[index] - 1))
            self.restart_at[index] = now + delay
            log.warning(
                "child %d (pid %d) exited unexpectedly with status %s; restarting in %.1f s",
                index,
                child.pid,
                status,
                delay,
                extra={"child": index, "child_pid": child.pid, "status": status},
            )
        for index, at in list(self.restart_at.items()):
            if now >= at:
                del self.restart_at[index]
                self.children[index] = self._start(index)
        for child in self.retired:
            if not child.alive():
                child.release()
        self.retired = [child for child in self.retired if child.alive()]

    def _replace_all(self) -> None:
        """SIGHUP: for each child in turn, start its successor on the same slot's socket, wait until
        the successor answers /healthz itself, then stop the old one and wait until it has finished
        its requests. No moment without a child accepting from each socket."""
        log.info("reload: replacing %d children one at a time", self.count)
        for index in range(self.count):
            if self.stop_requested:
                return
            old = self.children.get(index)
            new = self._start(index)
            if not self._wait_ready(new):
                if not self.stop_requested:
                    log.error(
                        "reload: child %d (pid %d) did not answer /healthz within %g s; "
                        "keeping the running children, reload abandoned",
                        index,
                        new.pid,
                        READY_TIMEOUT_S,
                        extra={"child": index, "child_pid": new.pid},
                    )
                new.terminate()
                self.retired.append(new)
                return
            self.restart_at.pop(index, None)
            self.children[index] = new
            if old is not None:
                old.terminate()
                self.retired.append(old)
                while old.alive() and not self.stop_requested:
                    self._watch()
                    time.sleep(TICK_S)
                log.info(
                    "reload: child %d replaced (pid %d -> %d)",
                    index,
                    old.pid,
                    new.pid,
                    extra={"child": index, "child_pid": new.pid},
                )
        log.info("reload done")

    def _wait_ready(self, child: Child) -> bool:
        """Until `child` itself answers /healthz with 200: the kernel hands each new connection to
        one of the listening children, so the probe repeats until it reaches this one."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline and not self.stop_requested:
            if not child.alive():
                return False
            if self._healthz_pid() == child.pid:
                return True
            time.sleep(0.02)
        return False

    def _healthz_pid(self) -> int | None:
        connection = http.client.HTTPConnection(*self.probe, timeout=PROBE_TIMEOUT_S)
        try:
            connection.request("GET", "/healthz", headers={"Connection": "close"})
            response = connection.getresponse()
            body = response.read()
            if response.status != 200:
                return None
            return int(json.loads(body)["pid"])
        except (OSError, http.client.HTTPException, ValueError, KeyError, TypeError):
            return None
        finally:
            connection.close()

    def _close_sockets(self) -> None:
        for sock in self.sockets:
            sock.close()
        self.sockets = []

    def _stop_all(self) -> None:
        """SIGTERM to every child; each stops accepting, finishes its requests (aiohttp's
        shutdown_timeout) and exits. Waits for all of them; a second stop signal kills them.
        The parent lets go of the sockets first: once the children close theirs, the port refuses
        connections, as a stopped one-process server does."""
        self._close_sockets()
        everyone = [*self.children.values(), *self.retired]
        self.children.clear()
        self.retired = []
        self.restart_at.clear()
        for child in everyone:
            child.terminate()
        if everyone:
            log.info("stopping %d children", len(everyone))
        while any(child.alive() for child in everyone):
            if self.kill_requested:
                for child in everyone:
                    if child.alive():
                        log.warning("child %d (pid %d) killed", child.index, child.pid)
                        child.popen.kill()
            time.sleep(TICK_S)
        for child in everyone:
            child.popen.wait()
            child.release()


async def stop_with_parent(app: object) -> None:
    """For a child (an `on_startup` hook): stdin is a pipe from the parent, which never writes to
    it. When it ends, the parent has exited whatever the way (even SIGKILL): stop gracefully, as
    on SIGTERM, rather than serve on unsupervised."""
    loop = asyncio.get_running_loop()

    def on_readable() -> None:
        try:
            data = os.read(0, 4096)
        except OSError:
            data = b""
        if not data:
            loop.remove_reader(0)
            log.warning("parent process gone; stopping")
            os.kill(os.getpid(), signal.SIGTERM)

    loop.add_reader(0, on_readable)
