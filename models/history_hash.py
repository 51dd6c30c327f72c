"""The seal of a voucher history row: sha256 over a canonical text of its content and the
previous row's seal (see migration 0018_history_chain and docs/history.md).

PostgreSQL computes it in PL/pgSQL (`pxq_history_hash`, in the migration); this is the same
function for SQLite, registered on every connection by `models.sqlite_backend`, and for anyone
who wants to recompute a seal outside the database. Both give the same hex for the same logical
row, whatever the database: the time is whole microseconds since the epoch (UTC), and `detail` is
written as PostgreSQL writes `jsonb::text` (keys by length then bytes, ", " and ": ").

Canonical text: "pxq-history-v1" then, for each field, "|" and either "-" (NULL) or
"<length in characters>:<text>". The length prefix keeps the fields apart whatever they hold.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

VERSION = "pxq-history-v1"
SQL_FUNCTION = "pxq_history_hash"
ARGUMENTS = 11  # prev_hash, id, voucher_id, at, action, actor_kind, actor_id, from, to, automatic, detail

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def history_hash(
    prev_hash: str | None,
    row_id: Any,
    voucher_id: Any,
    at: Any,
    action: Any,
    actor_kind: Any,
    actor_id: Any,
    from_status: Any,
    to_status: Any,
    automatic: Any,
    detail: Any,
) -> str:
    """Never raises: a value edited into something unreadable still hashes (to a different seal)."""
    fields = (
        prev_hash,
        _text(row_id),
        _text(voucher_id),
        _micros(at),
        _text(action),
        _text(actor_kind),
        _text(actor_id),
        _text(from_status),
        _text(to_status),
        _flag(automatic),
        _detail(detail),
    )
    canonical = VERSION + "".join("|-" if f is None else f"|{len(f)}:{f}" for f in fields)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _flag(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return "1" if value.strip().lower() in ("1", "t", "true") else "0"
    return "1" if value else "0"


def _micros(value: Any) -> str | None:
    """SQLite holds the time as Tortoise wrote it ("2026-11-01 08:00:00.123456+00:00")."""
    if value is None:
        return None
    try:
        at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return "?" + str(value)  # not a time: still a stable text, never a valid one
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return str((at - _EPOCH) // _MICROSECOND)


def _detail(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | bytes):
        return jsonb_text(value)
    try:
        parsed = json.loads(value, parse_float=Decimal, parse_int=Decimal)
    except ValueError:
        return "?" + _text(value)  # type: ignore[operator]
    return jsonb_text(parsed)


def jsonb_text(value: Any) -> str:
    """`value` as PostgreSQL prints it as jsonb::text."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal | float):
        return _number(Decimal(str(value)) if isinstance(value, float) else value)
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (len(k.encode("utf-8")), k.encode("utf-8")))
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {jsonb_text(value[k])}" for k in keys) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(jsonb_text(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _number(value: Decimal) -> str:
    """PostgreSQL's numeric: plain notation, the scale as written ("1.50", "1e5" -> "100000")."""
    if not value.is_finite():
        return str(value)
    text = format(value, "f")
    return text[1:] if value == 0 and text.startswith("-") else text  # numeric has no -0
