"""A sandbox's state kept in one JSON file, so restarting `make run` forgets nothing a real
platform would remember (users, followers, templates, consents, passes, messages).

Each save writes a new file beside the old one and renames it over it: a crash or a second
writer never leaves half a file. Writes are synchronous on purpose: a sandbox is a dev and test
tool whose state is small, and a write that finishes before the answer goes out is one that a
restart right after the answer cannot lose."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any


class SandboxFile:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()  # one writer at a time, even from threads of one process

    def load(self) -> dict[str, Any]:
        """What was saved last, or {} when nothing was (or the file is not ours to read)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except ValueError as exc:
            raise ValueError(f"{self.path}: not a sandbox state file ({exc})") from None
        return data if isinstance(data, dict) else {}

    def save(self, data: dict[str, Any]) -> None:
        text = json.dumps(data, ensure_ascii=False, sort_keys=True)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    out.write(text)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
