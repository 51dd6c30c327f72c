"""The server under test: the project's own CLI (`migrate`, `serve`) as a subprocess, with an
environment of its own for the run."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import aiohttp

from bench.harness.stores import describe_targets, reset_stores

ROOT = Path(__file__).resolve().parents[2]
PROBLEM_LEVELS = ("warning", "error", "critical")
HEALTHY_TIMEOUT_S = 300.0

Server = subprocess.Popen[bytes]


def exit_on_sigterm() -> None:
    """A plain SIGTERM would skip the `finally` that stops the server."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "peixunquan.cli", *args]


def prepare_server_env(env: dict[str, str], tmp: Path) -> bytes:
    """A fresh secret key file in `tmp`, a free port, and no worker loop inside the server: as in
    production, workers are separate processes and the server only serves. Returns the secret."""
    secret = os.urandom(32)
    secret_file = tmp / "secret.key"
    secret_file.write_text(secret.hex() + "\n", encoding="ascii")
    secret_file.chmod(0o600)
    env.update(PXQ_SERVER_PORT=str(free_port()), PXQ_SECURITY_SECRET_KEY_FILE=str(secret_file))
    env["PXQ_SERVER_PUBLIC_URL"] = base_url(env)
    env["PXQ_WORKER_EMBEDDED"] = "false"
    return secret


def base_url(env: dict[str, str]) -> str:
    return f"http://127.0.0.1:{env['PXQ_SERVER_PORT']}"


def reset_and_migrate(env: dict[str, str], log: Callable[[str], None]) -> None:
    log(f"resetting {describe_targets(env['PXQ_DATABASE_URL'], env['PXQ_REDIS_URL'])}")
    asyncio.run(reset_stores(env["PXQ_DATABASE_URL"], env["PXQ_REDIS_URL"]))
    subprocess.run(cli("migrate"), cwd=ROOT, env=env, stdout=sys.stderr, check=True)


def start_server(env: dict[str, str], server_log: TextIO, prefix: Sequence[str] = ()) -> Server:
    """`prefix` runs it elsewhere: `ip netns exec NAME` (which execs, so the pid is the server's)."""
    return subprocess.Popen(
        [*prefix, *cli("serve")],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )


def stop_server(server: Server) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@dataclass(frozen=True)
class Launch:
    """One server to start: its environment, where it logs, and a command prefix (see start_server)."""

    env: dict[str, str]
    log_path: Path
    prefix: tuple[str, ...] = ()


@contextmanager
def served(
    env: dict[str, str], log_path: Path, log: Callable[[str], None], prefix: Sequence[str] = ()
) -> Iterator[Server]:
    """The server running while the block runs; its log's tail on stderr if the block fails."""
    with log_path.open("w") as server_log:
        server = start_server(env, server_log, prefix)
        try:
            yield server
        except BaseException:
            log("failed; server log tail:\n" + "".join(log_path.read_text().splitlines(True)[-30:]))
            raise
        finally:
            stop_server(server)


async def wait_healthy(http: aiohttp.ClientSession, base: str, server: Server) -> None:
    # Generous: on a 2-core machine shared with test suites (load average 10) the server's
    # imports alone took 90 s, more so with several servers starting at once (--hosts).
    deadline = time.monotonic() + HEALTHY_TIMEOUT_S
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
    raise RuntimeError(f"server not healthy after {HEALTHY_TIMEOUT_S:g} s")


def run_with_server(
    env: dict[str, str],
    tmp: Path,
    log: Callable[[str], None],
    bench: Callable[[Server], Coroutine[Any, Any, dict[str, Any]]],
) -> dict[str, Any]:
    """Runs `bench` against a served server; adds `server_log_problems`, the warnings and worse
    the server logged, by level."""
    return run_with_servers([Launch(env, tmp / "server.log")], log, lambda servers: bench(servers[0]))


def run_with_servers(
    launches: Sequence[Launch],
    log: Callable[[str], None],
    bench: Callable[[list[Server]], Coroutine[Any, Any, dict[str, Any]]],
) -> dict[str, Any]:
    """run_with_server for several servers (--hosts), all running while `bench` runs and all
    stopped afterwards; `server_log_problems` counts every server's log."""
    with ExitStack() as stack:
        servers = [stack.enter_context(served(x.env, x.log_path, log, x.prefix)) for x in launches]
        figures = asyncio.run(bench(servers))
    problems = [
        line for x in launches for line in x.log_path.read_text().splitlines() if _log_level(line) in PROBLEM_LEVELS
    ]
    figures["server_log_problems"] = dict(Counter(_log_level(line) for line in problems))
    if problems:
        log(f"server logged {len(problems)} warnings/errors, first:\n{problems[0]}")
    return figures


def _log_level(line: str) -> str | None:
    """The server logs one JSON object a line (peixunquan.logs); anything else is not a problem."""
    try:
        return str(json.loads(line).get("level"))
    except (ValueError, AttributeError):
        return None
