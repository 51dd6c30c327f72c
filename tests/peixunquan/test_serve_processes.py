"""`peixunquan serve --processes 2` run as an operator would: two children on one port, graceful
stop with a request in flight, SIGHUP replacing the children while a client keeps asking, a
killed child replaced, and the embedded worker in child 0 only.

SQLite and memory:// as `make run`: nothing here needs the children to share state, and each
answers /healthz with its own pid."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.cli import STARTUP_S, STOP_S, CliProcess, run_cli


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthz(port: int) -> tuple[int, dict]:
    """One request on a connection of its own (so the kernel may hand it to either child)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/healthz", headers={"Connection": "close"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def _pids_answering(port: int, server: CliProcess, want: int, exclude: set[int] = frozenset()) -> set[int]:
    """The pids seen on /healthz until `want` distinct ones (not in `exclude`) have answered."""
    deadline = time.monotonic() + STARTUP_S
    seen: set[int] = set()
    while len(seen - exclude) < want:
        assert server.popen.poll() is None, server.stderr[-3000:]
        assert time.monotonic() < deadline, f"only {seen} answered\n{server.stderr[-3000:]}"
        try:
            status, body = _healthz(port)
            if status == 200:
                seen.add(body["pid"])
        except OSError:
            time.sleep(0.1)
    return seen - exclude


def _log_entries(server: CliProcess, text: str) -> list[dict]:
    """The JSON log lines whose message contains `text`."""
    entries = []
    for line in server.stderr.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if text in entry.get("message", ""):
            entries.append(entry)
    return entries


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_processes_out_of_range_exits_2_naming_the_key(tmp_path):
    result = run_cli(tmp_path, "serve", "--processes", "0")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["config error: server.processes: must be between 1 and 64"]


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, made once for the module (migrating takes seconds)."""
    workdir = tmp_path_factory.mktemp("migrated")
    result = run_cli(workdir, "migrate")
    assert result.returncode == 0, result.stderr
    return workdir / "x.sqlite3"


@pytest.fixture
def workdir(tmp_path: Path, migrated: Path) -> Path:
    shutil.copyfile(migrated, tmp_path / "x.sqlite3")
    return tmp_path


@pytest.fixture
def serving(workdir: Path):
    """`serve --processes 2` on a free port; killed (children too) if a test fails."""
    port = _free_port()
    server = CliProcess(workdir, "serve", "--processes", "2", PXQ_SERVER_PORT=str(port))
    server.port = port
    yield server
    server.kill()  # the children see their stdin pipe end and stop by themselves


def test_two_children_answer_on_one_port_and_sigterm_stops_them_all(serving):
    server = serving
    pids = _pids_answering(server.port, server, 2)
    assert server.popen.pid not in pids  # the parent serves nothing itself
    # Each log line of a child names it; the embedded worker runs in child 0 only.
    starting = {e["child"]: e for e in _log_entries(server, "starting (pid") if "pid" in e}
    assert set(starting) == {0, 1}
    assert {e["pid"] for e in starting.values()} == pids
    deadline = time.monotonic() + STARTUP_S
    while not _log_entries(server, "worker started"):  # child 0 starts it once serving
        assert time.monotonic() < deadline, server.stderr[-3000:]
        time.sleep(0.1)
    workers = _log_entries(server, "worker started")
    assert [(w["child"], w["pid"]) for w in workers] == [(0, starting[0]["pid"])]

    code, took = server.stop()
    assert code == 0, server.stderr[-3000:]
    assert took < STOP_S
    assert all(_gone(pid) for pid in pids)
    assert "Traceback" not in server.stderr
    with pytest.raises(OSError):
        _healthz(server.port)


class SlowWechat:
    """WeChat's API as a slow upstream: each jscode2session call is held until `release` is set,
    so a mini-program login is in flight in the server for as long as the test wants."""

    def __init__(self) -> None:
        self.called = threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if not self.path.startswith("/sns/jscode2session"):
                    self.send_error(404)
                    return
                outer.called.set()
                outer.release.wait(timeout=30)
                body = json.dumps({"openid": "o-slow-upstream", "session_key": "k"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def test_a_request_in_flight_during_sigterm_completes(workdir):
    """A mini-program login waiting on a slow WeChat when SIGTERM reaches the parent: the child
    that holds it stops accepting, but answers it before it exits, and the parent waits for it."""
    wechat = SlowWechat()
    port = _free_port()
    env = {"PXQ_SERVER_PORT": str(port), "PXQ_WECHAT_API_BASE": wechat.base, "PXQ_WORKER_EMBEDDED": "false"}
    server = CliProcess(workdir, "serve", "--processes", "2", **env)
    try:
        _pids_answering(port, server, 2)
        answer: dict = {}

        def log_in() -> None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
            body = json.dumps({"code": "a-wx-login-code"})
            connection.request("POST", "/api/v1/wechat/login", body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            answer.update(status=response.status, body=json.loads(response.read()))
            connection.close()

        client = threading.Thread(target=log_in)
        client.start()
        assert wechat.called.wait(timeout=10), server.stderr[-3000:]  # the login is in flight
        started = time.monotonic()
        server.popen.send_signal(signal.SIGTERM)
        time.sleep(1.0)  # the children have their SIGTERM and have closed their listening sockets
        assert server.popen.poll() is None, "the parent must wait for the child holding the request"
        with pytest.raises(OSError):
            _healthz(port)  # no longer accepting
        wechat.release.set()
        client.join(timeout=10)
        assert answer.get("status") == 200, (answer, server.stderr[-3000:])
        assert answer["body"]["token"]
        server.popen.wait(timeout=STOP_S)
        assert server.popen.returncode == 0, server.stderr[-3000:]
        assert time.monotonic() - started < STOP_S + 1.5
        assert "Traceback" not in server.stderr
    finally:
        server.kill()
        wechat.close()


def test_a_connection_accepted_just_before_the_stop_still_gets_its_answer(serving):
    """A client whose request bytes arrive a moment after its connection was accepted (a loaded
    machine, a slow network) is answered, not closed as idle: a SIGHUP reload once dropped one."""
    server = serving
    _pids_answering(server.port, server, 2)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.connect()
        time.sleep(0.3)  # accepted by a child, nothing sent yet
        server.popen.send_signal(signal.SIGTERM)
        time.sleep(0.2)  # the children have their SIGTERM
        connection.request("GET", "/healthz", headers={"Connection": "close"})
        response = connection.getresponse()
        assert response.status == 200, server.stderr[-3000:]
    finally:
        connection.close()
    server.popen.wait(timeout=STOP_S)
    assert server.popen.returncode == 0, server.stderr[-3000:]


def test_sighup_replaces_the_children_without_refusing_a_connection(serving):
    server = serving
    before = _pids_answering(server.port, server, 2)
    results: list[tuple[int, int] | str] = []
    done = threading.Event()

    def keep_asking() -> None:
        while not done.is_set():
            try:
                status, body = _healthz(server.port)
                results.append((status, body["pid"]))
            except OSError as exc:
                results.append(repr(exc))

    client = threading.Thread(target=keep_asking, daemon=True)
    client.start()
    try:
        time.sleep(0.3)
        server.popen.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 2 * STARTUP_S
        while len(_log_entries(server, "reload done")) < 1:
            assert server.popen.poll() is None, server.stderr[-3000:]
            assert time.monotonic() < deadline, server.stderr[-3000:]
            time.sleep(0.1)
        time.sleep(0.3)
    finally:
        done.set()
        client.join(timeout=10)
    failures = [r for r in results if not isinstance(r, tuple) or r[0] != 200]
    assert failures == []
    answered = {pid for _, pid in results}
    after = _pids_answering(server.port, server, 2, exclude=set())
    assert len(results) > 50  # the client kept asking through the restart
    assert after.isdisjoint(before)  # both children were replaced
    assert answered & before and answered & after  # the old served until the new did
    assert all(_gone(pid) for pid in before)
    code, _ = server.stop()
    assert code == 0


def test_a_killed_child_is_replaced(serving):
    server = serving
    pids = _pids_answering(server.port, server, 2)
    victim = max(pids)
    os.kill(victim, signal.SIGKILL)
    replacement = _pids_answering(server.port, server, 1, exclude=pids)
    assert len(replacement) == 1 and victim not in replacement
    (warning,) = [e for e in _log_entries(server, "exited unexpectedly") if e["child_pid"] == victim]
    assert warning["level"] == "warning"
    # The survivor was left alone, and the port is served by two children again.
    assert _pids_answering(server.port, server, 2, exclude=set()) == (pids - {victim}) | replacement
    code, _ = server.stop()
    assert code == 0
