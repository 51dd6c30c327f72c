"""Structured logs: one JSON object a line. ID numbers are masked whatever a message holds."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

from aiohttp.http_exceptions import HttpProcessingError

_ID_NUMBER = re.compile(r"(?<!\d)(\d{4})\d{10}(\d{3}[\dXx])(?![\dXx])")
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


def redact(text: str) -> str:
    return _ID_NUMBER.sub(r"\1**********\2", text)


class JsonFormatter(logging.Formatter):
    def __init__(self, fields: dict[str, object] | None = None) -> None:
        super().__init__()
        self.fields = dict(fields or {})

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **self.fields,
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, ensure_ascii=False, default=str))


class ClientMistakes(logging.Filter):
    """aiohttp answers a request it cannot parse (a NUL byte in a header, a `Content-Encoding` it
    does not decode such as `br`) with a 4xx before any handler runs, but logs it at ERROR with a
    traceback, as if it were our bug. It is the client's mistake: one INFO line, no traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError) and 400 <= error.code < 500:
            # The first line names the mistake; the rest echoes the raw bytes the client sent.
            reason = (error.message or "").splitlines()[0] if error.message else ""
            client = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
            record.msg = "malformed request from %s refused (%d %s: %s)"
            record.args = (client, error.code, type(error).__name__, reason)
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.exc_info = record.exc_text = None
        return True


def quiet_client_mistakes() -> None:
    """Idempotent: the app factory calls it, so every server (and test server) logs the same."""
    server = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, ClientMistakes) for f in server.filters):
        server.addFilter(ClientMistakes())


def setup_logging(level: str = "INFO", fields: dict[str, object] | None = None) -> None:
    """`fields` go into every line: a child of `serve --processes N` names itself (`child`, `pid`)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(fields))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("tortoise").setLevel(logging.WARNING)
