"""Outbox delivery: lease due rows, send each through the first channel that can take it, record
the result.

A route (one per outbox kind) lists the channels that could carry a message, best first, as
`Attempt`s. For each: a paused channel/template is skipped, the shared rate limit is respected,
then it is sent. `Permanent` errors (no consent left, unknown recipient, bad data) mean "not
through this channel": the next one is tried, and when none is left the row is dead with every
reason. A `Retryable` error (or anything unexpected) retries the whole message later with
exponential backoff and jitter, never through a second channel, so a message cannot arrive
twice by two roads. `QuotaExhausted` pauses that channel/template until the quota resets.

Delivery is at least once per lease: a worker killed between the platform's answer and the
record leaves a row that is sent again after the lease ends. Attempts carry the outbox id as
an idempotency key so platforms (and our webhook receivers) that honour one drop the repeat.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from channels import errors as channel_errors
from jobs.pauses import Pauses
from jobs.rate_limit import RateLimiter
from models import OutboxMessage
from vouchers.common.clock import end_of_local_day, local_date, utcnow
from vouchers.notices import leases as outbox_leases

log = logging.getLogger(__name__)


@dataclass
class Attempt:
    channel: str
    send: Callable[[str], Awaitable[str | None]]  # idempotency key -> the platform's message id
    template: str | None = None


Route = Callable[[OutboxMessage], Awaitable[list[Attempt]]]


@dataclass
class DeliverySettings:
    batch_size: int = 100
    lease_s: int = 120
    max_attempts: int = 8
    backoff_base_s: int = 30
    backoff_max_s: int = 3600


def backoff_s(attempts: int, settings: DeliverySettings) -> float:
    """Exponential with jitter: half of the step fixed, half random, so retries spread out."""
    step = min(settings.backoff_max_s, settings.backoff_base_s * 2 ** max(0, attempts - 1))
    return step / 2 + random.uniform(0, step / 2)


def next_quota_reset(now: datetime) -> datetime:
    """Daily platform quotas reset at local midnight."""
    return end_of_local_day(local_date(now))


@dataclass
class Deliverer:
    redis: Any
    routes: dict[str, Route]
    per_second: Callable[[str], int]
    settings: DeliverySettings = field(default_factory=DeliverySettings)
    clock: Callable[[], datetime] = utcnow  # what "now" is: leases, pauses, retries (tests move it)
    owner: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}")

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(self.redis, self.per_second)
        self.pauses = Pauses(self.redis)

    async def run(self, _svc: object = None) -> int:
        """Deliver until nothing is due; returns how many rows were handled."""
        handled = 0
        while True:
            leased = await outbox_leases.lease_due(
                self.owner, self.settings.batch_size, self.settings.lease_s, self.clock()
            )
            for message in leased:
                await self.deliver(message)
            handled += len(leased)
            if len(leased) < self.settings.batch_size:
                return handled

    async def deliver(self, message: OutboxMessage) -> None:
        route = self.routes.get(message.kind)
        if route is None:
            await self._dead(message, "no_route")
            return
        try:
            attempts = await route(message)
        except channel_errors.Permanent as exc:
            await self._dead(message, _reason(None, exc))
            return
        except Exception as exc:  # a database hiccup while routing: try again later
            await self._retry(message, None, exc)
            return
        refused: list[str] = []
        paused: list[datetime] = []
        for attempt in attempts:
            now = self.clock()
            until = await self.pauses.paused_until(attempt.channel, attempt.template, now)
            if until is not None:
                paused.append(until)
                continue
            await self.limiter.acquire(attempt.channel)
            try:
                message_id = await attempt.send(f"pxq-outbox-{message.id}")
            except channel_errors.QuotaExhausted as exc:
                resume = getattr(exc, "resume_at", None) or next_quota_reset(now)
                await self.pauses.pause(attempt.channel, attempt.template, resume)
                await self._count(attempt.channel, "paused", "quota")
                paused.append(resume)
            except channel_errors.Permanent as exc:
                refused.append(_reason(attempt.channel, exc))
                await self._count(attempt.channel, "refused", type(exc).__name__)
            except Exception as exc:
                await self._retry(message, attempt.channel, exc)
                return
            else:
                await outbox_leases.record_sent(message, self.owner, attempt.channel, message_id, self.clock())
                await self._count(attempt.channel, "sent", "")
                return
        if paused:
            await outbox_leases.postpone(message, self.owner, min(paused))
        else:
            await self._dead(message, "; ".join(refused) or "no_channel")

    async def _retry(self, message: OutboxMessage, channel: str | None, exc: Exception) -> None:
        reason = _reason(channel, exc)
        if not isinstance(exc, channel_errors.ChannelError):
            log.warning("delivery failed unexpectedly", extra={"outbox_id": message.id, "error": type(exc).__name__})
        if message.attempts >= self.settings.max_attempts:
            await self._dead(message, f"gave up after {message.attempts} attempts: {reason}", channel)
            return
        at = self.clock() + timedelta(seconds=backoff_s(message.attempts, self.settings))
        await outbox_leases.record_retry(message, self.owner, reason, at)
        await self._count(channel or "-", "retry", type(exc).__name__)

    async def _dead(self, message: OutboxMessage, reason: str, channel: str | None = None) -> None:
        await outbox_leases.record_dead(message, self.owner, reason, channel)
        await self._count(channel or message.channel or "-", "dead", reason.split(":")[0][:40])
        log.info("outbox message dead", extra={"outbox_id": message.id, "kind": message.kind, "reason": reason})

    async def _count(self, channel: str, result: str, reason: str) -> None:
        # Counters for /metrics, shared by every worker; losing one is not worth failing a send.
        try:
            await self.redis.hincrby("pxq:metrics:deliveries", f"{channel}|{result}|{reason}", 1)
        except Exception:
            log.debug("delivery metric not counted")


def _reason(channel: str | None, exc: Exception) -> str:
    code = getattr(exc, "code", None)
    text = type(exc).__name__ + (f"({code})" if code is not None else "")
    return f"{channel}:{text}" if channel else text
