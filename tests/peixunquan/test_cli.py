"""The process entry points, run as an operator would: `python -m peixunquan.cli ...`."""

from __future__ import annotations

import json
import socket
import sqlite3
import time
import tomllib
import urllib.error
import urllib.request
from dataclasses import fields
from pathlib import Path

import pytest

from peixunquan import PROJECT_ROOT
from peixunquan.config import Config, load_config
from peixunquan.demo import DEMO_TRAINEE_17
from tests.support.cli import STARTUP_S, STOP_S, CliProcess, run_cli
from vouchers.common.clock import local_date, utcnow
from vouchers.common.personal_data import check_digit
from vouchers.common.policy import PolicyRule


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path


# --- bad configuration -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "toml", "key"),
    [
        ({"PXQ_SERVER_PORT": "abc"}, None, "server.port"),
        ({"PXQ_SERVER_PORT": "0"}, None, "server.port"),
        ({"PXQ_SERVER_PORT": "70000"}, None, "server.port"),
        ({}, "[server]\ncolour = 'red'\n", "server.colour"),
        ({}, "[servre]\nport = 8080\n", "servre"),
        ({}, "[server]\nport = '8080'\n", "server.port"),
        ({}, "[server]\nport = 0\n", "server.port"),
        ({"PXQ_SERVER_PROCESSES": "0"}, None, "server.processes"),
        ({}, "[server]\nprocesses = 65\n", "server.processes"),
        ({}, "[policy]\nmax_uses_per_year = -1\n", "policy.max_uses_per_year"),
        ({}, '[policy.regions."5000"]\nmax_uses_per_year = 3\n', "policy.regions.5000"),
        ({}, "this is = not [toml", "PXQ_CONFIG"),
        ({"PXQ_CONFIG": "/nonexistent/peixunquan.toml"}, None, "PXQ_CONFIG"),
        ({"PXQ_DATABASE_URL": "mysql://root@localhost/x"}, None, "database.url"),
        ({"PXQ_REDIS_URL": "localhost:6379"}, None, "redis.url"),
        ({"PXQ_SECURITY_GENERATE_MISSING_SECRET": "perhaps"}, None, "security.generate_missing_secret"),
        ({"PXQ_SECURITY_BUREAU_TOKEN_TTL_S": "5"}, None, "security.bureau_token_ttl_s"),
    ],
)
def test_bad_config_exits_2_with_one_line_naming_the_key(workdir, env, toml, key):
    if toml is not None:
        (workdir / "pxq.toml").write_text(toml, encoding="utf-8")
        env = {**env, "PXQ_CONFIG": str(workdir / "pxq.toml")}
    result = run_cli(workdir, "migrate", **env)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert key in lines[0]
    assert "Traceback" not in result.stderr
    assert not (workdir / "x.sqlite3").exists()  # nothing was started


def test_secret_file_that_is_not_hex_exits_2(workdir):
    (workdir / "secret.key").write_text("not a secret\n")
    result = run_cli(workdir, "migrate")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "security.secret_key_file" in result.stderr


def test_missing_secret_with_generation_off_exits_2(workdir):
    result = run_cli(workdir, "migrate", PXQ_SECURITY_GENERATE_MISSING_SECRET="false")
    assert result.returncode == 2
    assert "security.secret_key_file" in result.stderr
    assert not (workdir / "secret.key").exists()


def test_config_flag_names_the_file(workdir):
    (workdir / "other.toml").write_text("[server]\nport = 99999\n")
    result = run_cli(workdir, "--config", str(workdir / "other.toml"), "migrate")
    assert result.returncode == 2
    assert "server.port" in result.stderr


# --- migrate and demo ----------------------------------------------------------------------------


def _counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        tables = [
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
        ]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def _columns(db: Path, table: str) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')}


def test_migrate_back_to_a_migration_and_forward_again(workdir):
    """Rolling a release back: `migrate --to` undoes the later migrations, `migrate` redoes them."""
    db = workdir / "x.sqlite3"
    assert run_cli(workdir, "migrate").returncode == 0
    assert "token_version" in _columns(db, "channel_account")  # 0025
    assert _columns(db, "statistics_day")  # 0026

    back = run_cli(workdir, "migrate", "--to", "0024")
    assert back.returncode == 0, back.stderr
    assert "migrated to 0024_online_platforms" in back.stdout
    assert "token_version" not in _columns(db, "channel_account")
    assert not _columns(db, "statistics_day")

    forward = run_cli(workdir, "migrate")
    assert forward.returncode == 0, forward.stderr
    assert "token_version" in _columns(db, "channel_account")
    assert _columns(db, "statistics_day")


def test_migrate_to_an_unknown_migration_exits_2_naming_the_known_ones(workdir):
    result = run_cli(workdir, "migrate", "--to", "0999")
    assert result.returncode == 2
    assert "0999" in result.stderr and "0024_online_platforms" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (workdir / "x.sqlite3").exists()  # nothing was touched


def test_migrate_then_demo_twice_is_idempotent(workdir):
    migrated = run_cli(workdir, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert (workdir / "secret.key").exists()
    again = run_cli(workdir, "migrate")  # migrating an up-to-date database is a no-op
    assert again.returncode == 0, again.stderr

    first = run_cli(workdir, "demo")
    assert first.returncode == 0, first.stderr
    after_first = _counts(workdir / "x.sqlite3")
    assert after_first["batch"] >= 1
    assert after_first["bureau_user"] >= 1
    assert after_first["person"] >= 1
    with sqlite3.connect(workdir / "x.sqlite3") as conn:
        statuses = {r[0] for r in conn.execute("SELECT status FROM batch")}
        # A trainee trying the demo finds a class to sign up for (its first day is ahead).
        upcoming = conn.execute(
            "SELECT hold_places_for_signups FROM training_class WHERE start_date > date('now', 'localtime')"
        ).fetchall()
        # This year's subsidy standards: the demo institution's completion results can be paid.
        standards = conn.execute(
            "SELECT DISTINCT region_id FROM subsidy_standard WHERE effective_year = ?", (local_date(utcnow()).year,)
        ).fetchall()
    assert statuses == {"published"}
    assert upcoming == [(1,)]
    assert sorted(standards) == [("320200",), ("500000",)]

    second = run_cli(workdir, "demo")
    assert second.returncode == 0, second.stderr
    assert _counts(workdir / "x.sqlite3") == after_first  # nothing new: no batch, user or person
    # The bureau logins shown the second time are the ones created the first time.
    logins = [line for line in first.stdout.splitlines() if line.startswith("bureau user")]
    assert logins and logins == [line for line in second.stdout.splitlines() if line.startswith("bureau user")]
    demo_id = DEMO_TRAINEE_17 + check_digit(DEMO_TRAINEE_17)
    for output in (first.stdout, first.stderr, second.stdout, second.stderr):
        assert demo_id not in output


# --- long-running processes -----------------------------------------------------------------------


def test_worker_starts_and_stops_cleanly_on_sigterm(workdir):
    assert run_cli(workdir, "migrate").returncode == 0
    worker = CliProcess(workdir, "worker")
    try:
        worker.wait_for("worker started")
        time.sleep(0.5)  # inside its loop, between jobs
        assert worker.popen.poll() is None, worker.stderr
    except BaseException:
        worker.kill()
        raise
    code, took = worker.stop()
    assert code == 0, worker.stderr
    assert took < STOP_S
    assert "worker stopped" in worker.stderr
    assert "Traceback" not in worker.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_healthz_and_stops_on_sigterm(workdir):
    assert run_cli(workdir, "migrate").returncode == 0
    port = _free_port()
    server = CliProcess(workdir, "serve", PXQ_SERVER_PORT=str(port))
    try:
        server.wait_for(f":{port}")
        deadline = time.monotonic() + STARTUP_S
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    status, body = response.status, json.loads(response.read())
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.popen.poll() is None and time.monotonic() < deadline, server.stderr
                time.sleep(0.1)
        assert status == 200
        # With the default processes = 1, `serve` itself answers: no parent, no child.
        assert body == {"status": "ok", "database": "ok", "redis": "ok", "pid": server.popen.pid}
    except BaseException:
        server.kill()
        raise
    code, took = server.stop()
    assert code == 0, server.stderr
    assert took < STOP_S
    assert "Traceback" not in server.stderr
    # Stopped means stopped: the port no longer answers.
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)


# --- the documented example config -----------------------------------------------------------------

EXAMPLE = PROJECT_ROOT / "config.example.toml"


def test_config_example_loads_and_documents_every_key():
    config = load_config(EXAMPLE, env={})
    defaults = Config()
    sections = [f.name for f in fields(Config) if f.name not in ("policy", "secret")]
    for section in sections:
        assert getattr(config, section) == getattr(defaults, section), f"[{section}] differs from the defaults"
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    for section in sections:
        # [wechat.official] is the `wechat_official` section: a sub-table of its parent.
        parent, _, child = section.partition("_")
        table = raw.get(section) or (raw.get(parent, {}).get(child, {}) if child else {})
        documented = {key for key, value in table.items() if not isinstance(value, dict)}
        assert documented == {f.name for f in fields(getattr(defaults, section))}, section
    assert {f.name for f in fields(PolicyRule)} <= set(raw["policy"])
    for code, rule in config.policy.regions.items():
        assert len(code) == 6 and code.isdigit()
        assert isinstance(rule, PolicyRule)
    # It also loads through the CLI's own path (PXQ_CONFIG), with the environment winning.
    env_config = load_config(env={"PXQ_CONFIG": str(EXAMPLE), "PXQ_SERVER_PORT": "9090"})
    assert env_config.server.port == 9090
