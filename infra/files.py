"""Files made once on first start (development keys and secrets), safe when several processes
start together: `serve --processes N` forks children that all look for the same missing file."""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def create_exclusive(path: Path, text: str, mode: int = 0o600) -> None:
    """Write `text` to a new file `path`; FileExistsError if it exists.

    The text goes to a temporary file beside `path` first and is linked into place, so no reader
    ever sees the file empty or half-written (as `O_EXCL` plus a write would show it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.link(temporary, path)
    finally:
        os.unlink(temporary)


def create_once(path: Path, text: str, mode: int = 0o600) -> str:
    """Write `text` to `path` unless it exists, and return what the file holds.

    The first process to link wins; the others read its text instead of overwriting it (a plain
    `write_text` truncates a file another process may be reading, which once handed a child an
    empty RSA key)."""
    try:
        create_exclusive(path, text, mode)
    except FileExistsError:
        pass
    return path.read_text(encoding="ascii")


@contextmanager
def directory_lock(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on `directory` (an flock on a `.lock` file inside it), so that of
    several processes deciding "the directory is empty, fill it" only one decides at a time."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
