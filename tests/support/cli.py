"""The `peixunquan` command run as an operator would: in a directory of its own, on SQLite and memory://."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from peixunquan import PROJECT_ROOT

STARTUP_S = 90  # a loaded 2-core machine has taken over 30 s to import and start two children
STOP_S = 5


def cli_env(workdir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PXQ_")}
    env.update(
        PXQ_DATABASE_URL=f"sqlite://{workdir}/x.sqlite3",
        PXQ_REDIS_URL="memory://",
        PXQ_SECURITY_SECRET_KEY_FILE=str(workdir / "secret.key"),
        PYTHONPATH=str(PROJECT_ROOT),
    )
    env.update(extra)
    return env


def run_cli(workdir: Path, *args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "peixunquan.cli", *args],
        cwd=workdir,
        env=cli_env(workdir, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class CliProcess:
    """A CLI process whose output is collected as it comes, so a test can wait for a line."""

    def __init__(self, workdir: Path, *args: str, **env: str) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "peixunquan.cli", *args],
            cwd=workdir,
            env=cli_env(workdir, **env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.popen.stdout, self.out), daemon=True),
            threading.Thread(target=self._read, args=(self.popen.stderr, self.err), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream, lines: list[str]) -> None:
        for line in stream:
            lines.append(line)

    @property
    def stdout(self) -> str:
        return "".join(self.out)

    @property
    def stderr(self) -> str:
        return "".join(self.err)

    def wait_for(self, text: str, timeout: float = STARTUP_S) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.stdout + self.stderr:
            if self.popen.poll() is not None or time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"{text!r} never appeared\n{self.stderr[-3000:]}")
            time.sleep(0.05)

    def stop(self) -> tuple[int, float]:
        started = time.monotonic()
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=STOP_S)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"did not stop within {STOP_S}s of SIGTERM\n{self.stderr[-3000:]}")
        took = time.monotonic() - started
        for reader in self._readers:
            reader.join(timeout=2)
        return self.popen.returncode, took

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()


def sharing_servers(workdir: Path, config, count: int = 2) -> tuple[list[CliProcess], list[str]]:
    """`count` `serve` processes on the suite's database and Redis (what several application
    hosts share), with the suite's secret; their processes and base URLs."""
    from tests.support.alipay import unused_port  # a pytest plugin module: imported when used

    (workdir / "secret.key").write_text(config.secret.hex())
    env = {
        "PXQ_DATABASE_URL": config.database.url,
        "PXQ_REDIS_URL": config.redis.url,
        "PXQ_WORKER_EMBEDDED": "false",
        "PXQ_INSTITUTIONS_QR_KEYS_DIR": str(workdir / "qr-keys"),
    }
    ports = [unused_port() for _ in range(count)]
    servers = [CliProcess(workdir, "serve", PXQ_SERVER_PORT=str(port), **env) for port in ports]
    return servers, [f"http://127.0.0.1:{port}" for port in ports]
