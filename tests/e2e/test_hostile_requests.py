"""`peixunquan serve` as it runs in production, fed what an attacker or a broken client sends:
its answers, its memory and its log lines (stderr, as the operator reads them)."""

from __future__ import annotations

import gzip
import json
import os
import socket
import threading
import time
import urllib.error
import urllib.request
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.cli import STARTUP_S, CliProcess, run_cli

BOMB = b'{"code": "' + b"a" * 19_000_000 + b'"}'  # 19 MB of JSON, about 19 KB gzipped


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path):
    assert run_cli(tmp_path, "migrate").returncode == 0
    port = _free_port()
    process = CliProcess(tmp_path, "serve", PXQ_SERVER_PORT=str(port))
    process.port = port
    try:
        process.wait_for(f":{port}")
        deadline = time.monotonic() + STARTUP_S
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()
                break
            except (urllib.error.URLError, ConnectionError):
                assert process.popen.poll() is None and time.monotonic() < deadline, process.stderr
                time.sleep(0.1)
        yield process
    finally:
        process.kill()


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


def _post(port: int, path: str, body: bytes, **headers: str) -> tuple[int, dict]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def _log_lines(process: CliProcess) -> list[dict]:
    return [json.loads(line) for line in process.stderr.splitlines() if line.startswith("{")]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the server's RSS from /proc")
def test_twenty_compressed_bombs_at_the_login_are_413_and_take_no_memory(server):
    pid = server.popen.pid
    packed = {"gzip": gzip.compress(BOMB, 9), "deflate": zlib.compress(BOMB, 9)}
    assert all(len(p) < 20_000 for p in packed.values())
    _post(server.port, "/api/v1/wechat/login", b'{"code": "warm-up"}', **{"Content-Type": "application/json"})
    before = _rss(pid)
    peak = before
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _rss(pid))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        with ThreadPoolExecutor(20) as pool:
            answers = list(
                pool.map(
                    lambda i: _post(
                        server.port,
                        "/api/v1/wechat/login",
                        packed["gzip" if i % 2 else "deflate"],
                        **{"Content-Type": "application/json", "Content-Encoding": "gzip" if i % 2 else "deflate"},
                    ),
                    range(20),
                )
            )
    finally:
        done.set()
        sampler.join()
    assert peak - before < 30_000_000, f"20 refused bodies took {(peak - before) / 1e6:.0f} MB"
    assert {status for status, _ in answers} == {413}
    assert {body["error"]["code"] for _, body in answers} == {"payload_too_large"}
    assert "Traceback" not in server.stderr


def test_a_client_mistake_in_the_headers_is_a_4xx_and_one_info_line(server):
    mistakes = [
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: a\x00b\r\n\r\n",  # a NUL byte in a header
        b"POST /api/v1/wechat/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Encoding: br\r\nContent-Length: 4\r\n\r\nabcd",  # an encoding we do not decode
    ]
    for number, request in enumerate(mistakes, start=1):
        answer = _raw(server.port, request)
        status = int(answer.split(b" ", 2)[1])
        assert 400 <= status < 500, answer[:200]
        deadline = time.monotonic() + 5
        while len([e for e in _log_lines(server) if "malformed request from" in e["message"]]) < number:
            assert time.monotonic() < deadline, server.stderr[-3000:]
            time.sleep(0.05)
    lines = [e for e in _log_lines(server) if e["logger"].startswith("aiohttp")]
    assert [e["level"] for e in lines] == ["info", "info"], server.stderr[-3000:]
    assert all("exception" not in e and "\n" not in e["message"] for e in lines)
    assert "Traceback" not in server.stderr
    assert os.linesep not in lines[0]["message"]
