"""Keep the month partitions of scan records, voucher history and the outbox ready ahead of time
(PostgreSQL; see models.partitions). SQLite has no partitions: nothing to do there."""

from __future__ import annotations

from datetime import datetime

from tortoise import connections

from models.database import is_postgres
from models.partitions import ensure_months


async def create_months_ahead(now: datetime) -> list[str]:
    """The partitions created: the current month and the next ones, and any gap before them."""
    db = connections.get("default")
    if not is_postgres(db):
        return []
    async with db.acquire_connection() as conn:
        return await ensure_months(conn, now)
