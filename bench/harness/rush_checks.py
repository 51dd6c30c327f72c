"""What a claim rush left behind, read from PostgreSQL and the Redis gate, and the checks and
figures drawn from it: no oversell, no duplicate, every answered voucher stored."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bench.harness.stores import driver_dsn


async def verify(database_url: str, redis_url: str, batch_id: int, codes: Sequence[str]) -> dict[str, int | None]:
    """What PostgreSQL (the system of record) and the Redis gate hold after the rush."""
    import asyncpg
    import redis.asyncio as aioredis

    conn = await asyncpg.connect(driver_dsn(database_url))
    try:
        in_db = await conn.fetchval("SELECT count(*) FROM voucher WHERE batch_id = $1", batch_id)
        duplicates = await conn.fetchval(
            "SELECT count(*) FROM (SELECT person_id FROM voucher WHERE batch_id = $1 "
            "GROUP BY person_id HAVING count(*) > 1) d",
            batch_id,
        )
        found = await conn.fetchval(
            "SELECT count(*) FROM voucher WHERE batch_id = $1 AND code = ANY($2::text[])", batch_id, list(codes)
        )
        remaining = await conn.fetchval("SELECT remaining FROM batch WHERE id = $1", batch_id)
    finally:
        await conn.close()
    redis = aioredis.from_url(redis_url)
    try:
        gate = await redis.get(f"pxq:gate:{{b{batch_id}}}:stock")
    finally:
        await redis.aclose()
    return {
        "in_db": in_db,
        "duplicates": duplicates,
        "missing": len(set(codes)) - found,  # codes answered 201 but absent from the database
        "db_remaining": remaining,
        "gate_stock": int(gate) if gate is not None else None,
    }


def consistent(figures: dict[str, Any]) -> bool:
    return (
        figures["oversold"] == 0
        and figures["duplicates"] == 0
        and figures["in_db"] == figures["issued"]
        and figures["missing"] == 0
        and figures["db_remaining"] == figures["stock"] - figures["issued"]
    )


# What the one-process baseline adds to the line of a `--processes N` run.
BASELINE_KEYS = (
    "bare_rps",
    "claim_rps",
    "ratio",
    "p50_ms",
    "p99_ms",
    "sellout_s",
    "issued",
    "oversold",
    "duplicates",
    "in_db",
    "missing",
    "db_remaining",
    "errors",
    "cpu_cores",
    "load_avg",
)


def with_baseline(figures: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    """The N-process figures first, then the rates against one process in the same run."""

    def per_one(key: str) -> float | None:
        return round(figures[key] / baseline[key], 3) if baseline[key] else None

    hosts = {"hosts": figures["hosts"]} if "hosts" in figures else {}
    return {
        **hosts,
        "processes": figures["processes"],
        "claim_rps": figures["claim_rps"],
        "claim_rps_1": baseline["claim_rps"],
        "claim_rps_vs_1": per_one("claim_rps"),
        "bare_rps": figures["bare_rps"],
        "bare_rps_1": baseline["bare_rps"],
        "bare_rps_vs_1": per_one("bare_rps"),
        **figures,
        "baseline_1": {key: baseline[key] for key in BASELINE_KEYS},
    }
