"""A real PostgreSQL streaming standby of the test cluster, for the read-replica tests.

`pg_basebackup -R` copies the test cluster (every database on it: a few seconds) into a temporary
directory, and the primary's own major version of `postgres` starts it on a port of its own (5500
up, `PXQ_TEST_STANDBY_PORT` to move it). It streams from the primary like a production standby, so
the tests can pause its replay (`pg_wal_replay_pause()`) to make it visibly stale, or stop it.
One per test session (per xdist worker; the tests that use it share an xdist group, so one worker
runs them all). PostgreSQL refuses to run as root: as root, the server runs as the owner of the
primary's data directory (postgres).

Skipped without PostgreSQL (the SQLite runs) or where the primary does not allow replication
connections from 127.0.0.1 (pg_hba.conf; `.ci/run` adds the lines); in CI's PostgreSQL pass such a
set-up fault fails instead, so the standby tests cannot silently stop running there.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from models.database import is_postgres

PORT_BASE = int(os.environ.get("PXQ_TEST_STANDBY_PORT", "5500"))
PORTS_TRIED = 100
START_TIMEOUT_S = 120  # pg_ctl start -w: until the standby is consistent and takes connections
CATCH_UP_TIMEOUT_S = 60.0
# The primary's settings a hot standby must at least match, or it refuses to start.
MATCHED_SETTINGS = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI") == "true" and os.environ.get("PXQ_TEST_BACKEND") != "embedded":
        pytest.fail(f"the PostgreSQL standby tests must run in CI: {reason}")
    pytest.skip(reason)


def _dsn(url: str) -> str:
    """A URL asyncpg and libpq read: postgres://, without Tortoise's pool options."""
    parts = urlsplit(url.replace("asyncpg://", "postgres://", 1))
    return urlunsplit(parts._replace(query=""))


def _free_port() -> int:
    for port in range(PORT_BASE, PORT_BASE + PORTS_TRIED):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    _unavailable(f"no free port in {PORT_BASE}-{PORT_BASE + PORTS_TRIED - 1} for the standby")


class Standby:
    """The running standby: its URL for the suite's database, and what the tests do to it."""

    def __init__(self, primary_url: str, bindir: Path, run_as: str | None, root: Path, port: int) -> None:
        self.primary_url = primary_url
        self.bindir = bindir
        self.run_as = run_as  # a user to run the binaries as (we are root), or None: ourselves
        self.root = root
        self.data = root / "data"
        self.log = root / "postgres.log"
        self.port = port
        self.options: str = ""
        self.running = False

    @property
    def url(self) -> str:
        """The suite's database on the standby (the same name: the whole cluster is copied)."""
        parts = urlsplit(self.primary_url)
        user = f"{parts.username}@" if parts.username else ""
        return urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{self.port}"))

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", self.run_as, "--"] if self.run_as else []
        return subprocess.run(
            [*prefix, *args], cwd=self.root, capture_output=True, text=True, timeout=START_TIMEOUT_S + 30
        )

    def base_backup(self) -> None:
        parts = urlsplit(_dsn(self.primary_url))
        # -R: standby.signal and primary_conninfo; -X stream: the WAL made during the copy comes
        # with it; -c fast: checkpoint now; -N, --no-manifest: no fsync, no checksums (a throwaway copy).
        args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432), "-U", parts.username or "postgres"]
        args += ["-D", str(self.data), "-R", "-X", "stream", "-c", "fast", "-N", "--no-manifest"]
        done = self._run(str(self.bindir / "pg_basebackup"), *args)
        if done.returncode != 0:
            if "replication" in done.stderr and "pg_hba.conf" in done.stderr:
                _unavailable(
                    "the test cluster does not allow replication connections from 127.0.0.1: add "
                    "'host replication all 127.0.0.1/32 trust' to its pg_hba.conf and reload "
                    f"(.ci/run does): {done.stderr.strip()}"
                )
            _unavailable(f"pg_basebackup failed: {done.stderr.strip()}")

    def configure(self, primary_settings: dict[str, str]) -> None:
        # Debian keeps the primary's postgresql.conf and pg_hba.conf in /etc, so the copy has none;
        # elsewhere the copied ones are the primary's. Either way the standby gets its own.
        (self.data / "postgresql.conf").write_text("# the test standby: settings on pg_ctl's command line\n")
        (self.data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
        (self.data / "pg_ident.conf").write_text("")
        settings = {
            "port": str(self.port),
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.root),
            "hot_standby": "on",
            "fsync": "off",  # a throwaway copy
            "shared_buffers": "32MB",
            "cluster_name": f"pxq-test-standby-{self.port}",  # its name in the primary's pg_stat_replication
            **primary_settings,
        }
        # On the command line, over anything postgresql.auto.conf brought from the primary.
        self.options = " ".join(f"-c {k}={v}" for k, v in settings.items())
        if self.run_as:
            owner = pwd.getpwnam(self.run_as).pw_uid
            for name in ("postgresql.conf", "pg_hba.conf", "pg_ident.conf"):
                os.chown(self.data / name, owner, -1)

    def start(self) -> None:
        done = self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", str(START_TIMEOUT_S),
            "-o", self.options, "start",
        )  # fmt: skip
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"the standby did not start: {done.stdout}{done.stderr}\n{log}")
        self.running = True

    def stop(self) -> None:
        if self.data.exists():
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        self.running = False

    async def _on_standby(self, sql: str, *args: object) -> object:
        conn = await asyncpg.connect(_dsn(self.url))
        try:
            return await conn.fetchval(sql, *args)
        finally:
            await conn.close()

    async def caught_up(self) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        primary = await asyncpg.connect(_dsn(self.primary_url))
        try:
            target = await primary.fetchval("SELECT pg_current_wal_lsn()::text")
        finally:
            await primary.close()
        await self._until("SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn", target)

    async def pause_replay(self) -> None:
        await self._on_standby("SELECT pg_wal_replay_pause()")
        await self._until("SELECT pg_get_wal_replay_pause_state() = 'paused'")

    async def resume_replay(self) -> None:
        await self._on_standby("SELECT pg_wal_replay_resume()")
        await self.caught_up()

    async def _until(self, sql: str, *args: object) -> None:
        deadline = time.monotonic() + CATCH_UP_TIMEOUT_S
        while not await self._on_standby(sql, *args):
            if time.monotonic() > deadline:
                raise AssertionError(f"the standby did not reach `{sql}` within {CATCH_UP_TIMEOUT_S} s")
            await asyncio.sleep(0.05)


async def _primary_facts(url: str) -> tuple[int, str, dict[str, str]]:
    conn = await asyncpg.connect(_dsn(url))
    try:
        major = int(await conn.fetchval("SHOW server_version_num")) // 10000
        wal_level = await conn.fetchval("SHOW wal_level")
        senders = int(await conn.fetchval("SHOW max_wal_senders"))
        if wal_level == "minimal" or senders < 1:
            _unavailable(f"the test cluster cannot stream (wal_level={wal_level}, max_wal_senders={senders})")
        data_dir = await conn.fetchval("SHOW data_directory")
        settings = {name: await conn.fetchval(f"SHOW {name}") for name in MATCHED_SETTINGS}
    finally:
        await conn.close()
    return major, data_dir, settings


def _bindir(major: int) -> Path:
    """The primary's major version's server binaries: a standby must be the same major version."""
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin")]
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip()
        candidates.append(Path(found))
    if shutil.which("pg_ctl"):
        candidates.append(Path(shutil.which("pg_ctl")).parent)
    for bindir in candidates:
        version = bindir / "postgres"
        if (bindir / "pg_ctl").exists() and (bindir / "pg_basebackup").exists() and version.exists():
            out = subprocess.run([str(version), "--version"], capture_output=True, text=True).stdout
            if f" {major}." in out:
                return bindir
    _unavailable(f"no PostgreSQL {major} server binaries (pg_ctl, pg_basebackup, postgres) on this machine")


def _run_as(data_dir: str) -> str | None:
    """As root: the primary's owner (postgres refuses to run as root); otherwise None, ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        owner = pwd.getpwuid(os.stat(data_dir).st_uid).pw_name
    except (OSError, KeyError):
        owner = "postgres"  # the primary on another host: the usual account
    if owner == "root" or not shutil.which("runuser"):
        _unavailable(f"cannot run the standby as a user other than root (owner {owner}, runuser missing?)")
    return owner


@pytest.fixture(scope="session")
def pg_standby(database_url: str) -> Iterator[Standby]:
    """A streaming standby of the suite's PostgreSQL, started once per session, removed after."""
    if not is_postgres(database_url):
        pytest.skip("the read standby tests need PostgreSQL (PXQ_TEST_DATABASE_URL)")
    major, data_dir, settings = asyncio.run(_primary_facts(database_url))
    bindir = _bindir(major)
    run_as = _run_as(data_dir)
    root = Path(tempfile.mkdtemp(prefix="pxq-standby-"))
    standby = Standby(database_url, bindir, run_as, root, _free_port())
    try:
        if run_as:
            os.chown(root, pwd.getpwnam(run_as).pw_uid, -1)
        standby.base_backup()
        standby.configure(settings)
        standby.start()
        asyncio.run(standby.caught_up())
        yield standby
    finally:
        standby.stop()
        shutil.rmtree(root, ignore_errors=True)
