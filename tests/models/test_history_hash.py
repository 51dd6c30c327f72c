"""The history seal is one function on both databases: PostgreSQL's PL/pgSQL and the Python one
SQLite runs (and anyone may run outside) give the same hex for the same row, including the
awkward parts (jsonb's key order and number forms, control characters, Chinese text, NULLs)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from tortoise import connections

from models.database import is_postgres
from models.history_hash import history_hash, jsonb_text

AT = datetime(2026, 5, 1, 8, 0, 0, 123456, tzinfo=UTC)
DETAILS = [
    {},
    {"channel": "wechat_miniapp"},
    {"b": 1, "aa": [1, 2.50, '中\n"x'], "a": {"zz": None, "y": True}},
    {"reason": "误发 \u0001 \\ /", "subsidy_fen": 60000, "é": 1, "e": -0.0},
    {"n": 1e5, "small": 0.0001, "big": 12345678901234567890, "nested": [[], {}, [{"k": False}]]},
]


@pytest.mark.parametrize("detail", DETAILS)
async def test_the_database_and_python_agree(db, database_url, detail):
    row = ["ab" * 32, 1234567890123, 9, AT, "revoked", "bureau", None, "claimed", "revoked", True]
    text = json.dumps(detail)
    conn = connections.get("default")
    if is_postgres(database_url):
        sql = "SELECT pxq_history_hash($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb) AS h"
        _, [found] = await conn.execute_query(sql, [*row, text])
        _, [printed] = await conn.execute_query("SELECT $1::jsonb::text AS t", [text])
        assert jsonb_text(json.loads(text)) == printed["t"]
    else:  # as SQLite holds it: the time as Tortoise's text, the flag as 1, compact JSON
        sql = "SELECT pxq_history_hash(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) AS h"
        stored = [*row[:3], AT.isoformat(" "), *row[4:9], 1, json.dumps(detail, separators=(",", ":"))]
        _, [found] = await conn.execute_query(sql, stored)
    assert found["h"] == history_hash(*row, text) == history_hash(*row, detail)


def test_every_field_counts_and_none_differs_from_empty():
    base = ["", 1, 2, AT, "claimed", "trainee", "3", None, "claimed", False, "{}"]
    seals = {history_hash(*base)}
    for i, other in enumerate(["x", 9, 9, datetime(2026, 5, 1, tzinfo=UTC), "x", "x", None, "", "x", True, "[]"]):
        changed = list(base)
        changed[i] = other
        seals.add(history_hash(*changed))
    assert len(seals) == 12
    # Fields cannot run into each other: "a" + "bc" is not "ab" + "c".
    assert history_hash("", 1, 2, AT, "a", "bc", None, None, "x", False, "{}") != history_hash(
        "", 1, 2, AT, "ab", "c", None, None, "x", False, "{}"
    )
