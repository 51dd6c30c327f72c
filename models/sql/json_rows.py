"""Many rows in one statement parameter."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson


def json_rows(rows: Iterable[Any]) -> str:
    """Rows (dicts or dataclasses) for `jsonb_to_recordset($1::jsonb)`, the way the grouped
    statements take their input.

    Not arrays (`unnest($1::int[], ...)`): with array parameters PostgreSQL planned the statement
    anew on every execution. Its custom plan knows each array's length, the generic plan guesses
    100 rows and so always looks dearer, and re-planning a scan read cost 0.3 ms of database CPU,
    more than running it. A JSON parameter gets the same guess either way, so PostgreSQL settles
    on the generic plan; and asyncpg encodes one string faster than a dozen arrays. Naive times
    are UTC, as asyncpg takes them. A `bytes` value is JSON already (a scan's answer, serialized
    once for the record and the reply) and goes in as it is.
    """
    return orjson.dumps(list(rows), default=_raw_json, option=orjson.OPT_NAIVE_UTC).decode()


def _raw_json(value: Any) -> orjson.Fragment:
    if isinstance(value, bytes):
        return orjson.Fragment(value)
    raise TypeError(f"not JSON: {type(value).__name__}")
