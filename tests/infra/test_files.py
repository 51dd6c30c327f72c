"""Several processes starting together on a fresh checkout (`serve --processes 2` and its worker)
all find the development key missing; each must end up with the same whole key."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from channels.alipay import keys
from infra.files import create_once
from vouchers.qr.keys import QrKeyRing


def _together(barrier, results, work, *args) -> None:
    barrier.wait()  # every process at the start line before any looks at the files
    try:
        results.put(work(*args))
    except Exception as exc:  # the test names what a process met instead of waiting for it
        results.put(f"failed: {exc!r}")


def _race(work, *args, processes: int = 6) -> list:
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(processes), context.Queue()
    started = [context.Process(target=_together, args=(barrier, results, work, *args)) for _ in range(processes)]
    for process in started:
        process.start()
    seen = [results.get(timeout=60) for _ in started]
    for process in started:
        process.join(timeout=60)
        assert process.exitcode == 0
    return seen


def _ensure(private: str, public: str) -> str:
    return keys.ensure_key_pair(Path(private), Path(public))


def _load_ring(directory: str) -> tuple[str, str]:
    ring = QrKeyRing.load(directory, generate=True)
    kid = ring.signing_key_id
    return kid, ring.public_keys[kid].hex()


def test_processes_starting_on_an_empty_qr_key_directory_all_sign_with_one_key(tmp_path):
    """Two keys made a second apart would leave the first process unable to verify what the
    second signs; a key file read while it is written would stop a process from starting."""
    directory = tmp_path / "qr-keys"
    seen = _race(_load_ring, str(directory))
    assert len(set(seen)) == 1
    assert [p.name for p in directory.glob("*.key")] == [f"{seen[0][0]}.key"]


def test_processes_racing_for_a_missing_key_pair_all_read_one_whole_key(tmp_path):
    private, public = tmp_path / "keys" / "app_private.pem", tmp_path / "keys" / "app_public.pem"
    seen = _race(_ensure, str(private), str(public))
    assert len(set(seen)) == 1
    assert keys.private_key_pkcs1(seen[0])  # parses: nobody read a half-written file
    assert public.read_text() == keys.public_of(seen[0])
    assert private.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in private.parent.iterdir() if p.name.startswith(".")] == []


def test_an_existing_file_is_kept_and_returned(tmp_path):
    path = tmp_path / "secret"
    assert create_once(path, "first\n") == "first\n"
    assert create_once(path, "second\n") == "first\n"
