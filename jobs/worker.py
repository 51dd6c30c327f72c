"""`peixunquan worker`: a process loop that runs the registered jobs until told to stop.

Each job is an async function of the services, run every `interval_s`. A failing job is logged
and retried on its next turn; it never stops the loop. SIGTERM and SIGINT stop it cleanly.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from vouchers.batches.expire import expire_vouchers
from vouchers.catalogue.lapse import lapse_signups
from vouchers.common.clock import local_date, utcnow
from vouchers.institutions.notices import queue_daily_summaries
from vouchers.notices.digests import schedule_digests
from vouchers.notices.reminders import schedule_reminders, send_time
from vouchers.services import Services

log = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    run: Callable[[Services], Awaitable[None]]
    interval_s: float
    next_at: float = 0.0


async def heartbeat(svc: Services) -> None:
    """Lets operators (and /metrics later) see which workers are alive."""
    await svc.redis.set(f"pxq:worker:{socket.gethostname()}:{os.getpid()}", int(time.time()), ex=60)


def default_jobs() -> list[Job]:
    return [Job("heartbeat", heartbeat, 15)]


def sweeps(offsets_days: tuple[int, ...], reminder_hour: int) -> Callable[[Services], Awaitable[None]]:
    """Reminders, institution digests, expiry, then sign-ups that lapsed: all idempotent, so every
    worker may run them."""

    async def sweep(svc: Services) -> None:
        now = utcnow()
        scheduled = await schedule_reminders(now, offsets_days, reminder_hour)
        digests = await schedule_digests(svc.keys, now, max(offsets_days), send_time(now, reminder_hour))
        digests += await queue_daily_summaries(local_date(now) - timedelta(days=1), now)
        changed = await expire_vouchers(now, svc.policy)
        lapsed = await lapse_signups(now)
        if scheduled or digests or lapsed or any(changed.values()):
            log.info(
                "sweep done", extra={"reminders": scheduled, "digests": digests, "signups_lapsed": lapsed, **changed}
            )

    return sweep


async def run_worker(svc: Services, stop: asyncio.Event, jobs: list[Job] | None = None) -> None:
    jobs = jobs if jobs is not None else default_jobs()
    log.info("worker started", extra={"jobs": [j.name for j in jobs]})
    while not stop.is_set():
        now = time.monotonic()
        for job in jobs:
            if now >= job.next_at:
                job.next_at = now + job.interval_s
                try:
                    await job.run(svc)
                except Exception:
                    log.exception("job failed", extra={"job": job.name})
        wake = min((j.next_at for j in jobs), default=now + 1) - time.monotonic()
        try:
            await asyncio.wait_for(stop.wait(), timeout=max(wake, 0.05))
        except TimeoutError:
            pass
    log.info("worker stopped")
