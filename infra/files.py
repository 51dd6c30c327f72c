"""Files made once on first start (development keys and secrets), safe when several processes
start together: `serve --processes N` forks children that all look for the same missing file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def create_once(path: Path, text: str, mode: int = 0o600) -> str:
    """Write `text` to `path` unless it exists, and return what the file holds.

    The text goes to a temporary file beside `path` first and is linked into place, so a reader
    never sees a half-written file, and the first process to link wins: the others read its text
    instead of overwriting it (a plain `write_text` truncates a file another process may be
    reading, which once handed a child an empty RSA key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)
    return path.read_text(encoding="ascii")
