"""Several processes starting together on a fresh checkout (`serve --processes 2` and its worker)
all find the development key missing; each must end up with the same whole key."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from channels.alipay import keys
from infra.files import create_once


def _ensure(args: tuple[str, str]) -> str:
    private, public = args
    return keys.ensure_key_pair(Path(private), Path(public))


def test_processes_racing_for_a_missing_key_pair_all_read_one_whole_key(tmp_path):
    private, public = tmp_path / "keys" / "app_private.pem", tmp_path / "keys" / "app_public.pem"
    context = multiprocessing.get_context("spawn")
    with context.Pool(6) as pool:
        seen = pool.map(_ensure, [(str(private), str(public))] * 12)
    assert len(set(seen)) == 1
    assert keys.private_key_pkcs1(seen[0])  # parses: nobody read a half-written file
    assert public.read_text() == keys.public_of(seen[0])
    assert private.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in private.parent.iterdir() if p.name.startswith(".")] == []


def test_an_existing_file_is_kept_and_returned(tmp_path):
    path = tmp_path / "secret"
    assert create_once(path, "first\n") == "first\n"
    assert create_once(path, "second\n") == "first\n"
