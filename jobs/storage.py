"""Worker jobs that keep storage in shape: month partitions ready ahead, delivered outbox rows
dropped after their retention. Both are idempotent and safe in any number of workers (the
partition changes take one advisory lock)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from vouchers.common.clock import utcnow
from vouchers.common.monthly_partitions import create_months_ahead
from vouchers.notices.outbox_retention import purge_delivered
from vouchers.services import Services

log = logging.getLogger(__name__)

INTERVAL_S = 3600


async def partitions_ahead(svc: Services) -> None:
    created = await create_months_ahead(utcnow())
    if created:
        log.info("month partitions created: %s", ", ".join(created))


def outbox_retention(keep_days: int) -> Callable[[Services], Awaitable[None]]:
    async def purge(svc: Services) -> None:
        purged = await purge_delivered(utcnow(), keep_days)
        if purged.rows or purged.partitions:
            log.info("outbox retention: %d rows gone (%s)", purged.rows, ", ".join(purged.partitions) or "rows")

    return purge
