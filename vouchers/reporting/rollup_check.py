"""Does `statistics_day` (kept by triggers, migration 0026) equal a full recount of the rows
(the view `statistics_recount`)? `peixunquan verify-statistics` asks; with `--repair` it rebuilds
the table from the recount. PostgreSQL only: SQLite counts the rows for every statistic anyway."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tortoise import connections
from tortoise.transactions import in_transaction

from models.database import is_postgres
from models.statistics import FIGURE_COLUMNS
from vouchers.common import errors


@dataclass(frozen=True)
class Difference:
    batch_id: int
    day: date
    figure: str
    kept: int  # in statistics_day
    counted: int  # by the recount


def _ensure_postgres() -> None:
    if not is_postgres(connections.get("default")):
        raise errors.RollupNotKept()


async def rollup_differences(limit: int = 50) -> list[Difference]:
    _ensure_postgres()
    differs = " OR ".join(f"COALESCE(d.{f}, 0) <> COALESCE(r.{f}, 0)" for f in FIGURE_COLUMNS)
    columns = ", ".join(f"COALESCE(d.{f}, 0), COALESCE(r.{f}, 0)" for f in FIGURE_COLUMNS)
    sql = (
        f"SELECT COALESCE(d.batch_id, r.batch_id), COALESCE(d.day, r.day), {columns}"
        " FROM statistics_day d FULL OUTER JOIN statistics_recount r ON r.batch_id = d.batch_id AND r.day = d.day"
        f" WHERE {differs} ORDER BY 2, 1 LIMIT {int(limit)}"
    )
    _, rows = await connections.get("default").execute_query(sql)
    found = []
    for row in rows:
        values = list(row.values())
        batch_id, day, pairs = values[0], values[1], values[2:]
        for n, figure in enumerate(FIGURE_COLUMNS):
            kept, counted = int(pairs[2 * n]), int(pairs[2 * n + 1])
            if kept != counted:
                found.append(Difference(batch_id, day, figure, kept, counted))
    return found


async def rebuild_rollup() -> int:
    """Replace the table with the recount; the triggers' writes wait for the lock meanwhile.
    Returns the rows written."""
    _ensure_postgres()
    columns = ", ".join(FIGURE_COLUMNS)
    async with in_transaction() as conn:
        await conn.execute_script("LOCK TABLE statistics_day IN EXCLUSIVE MODE; DELETE FROM statistics_day;")
        await conn.execute_query(
            f"INSERT INTO statistics_day (batch_id, day, {columns})"
            f" SELECT batch_id, day, {columns} FROM statistics_recount"
        )
        _, rows = await conn.execute_query("SELECT count(*) AS n FROM statistics_day")
    return int(rows[0]["n"])
