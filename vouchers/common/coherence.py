"""Changes every server process must see at once.

Each process keeps a few caches of its own on the hot paths (`Services`): bound trainee accounts
(30 s, `vouchers.identity.account_cache`), institutions (30 s, `vouchers.institutions.staff_cache`)
and batches (1 s, `vouchers.batches.cache`). A use case that changes what they hold (a logout, an
institution corrected or suspended, a batch published or closed) calls `forget`: this process
drops the entry at once, and a message on the Redis pub/sub channel `CHANNEL` makes every other
process that `listen`s drop it too, a few milliseconds later. The bound we state is one second
(docs/operations.md); tests/e2e/test_coherence_processes.py holds two server processes to it.

The TTLs stay as the fallback. A process that was not subscribed for a while (Redis restarted, a
network cut) may have missed messages, so each (re)subscription clears every cache first; a
publish that fails (Redis down) leaves the others to their TTLs, and is logged.

Staff and bureau users are read from the database on every request, so disabling one needs no
message. The regional policy and the signing keys come from the configuration and change with a
restart (SIGHUP to `serve --processes N` restarts the processes one at a time).

On Sentinel and Redis Cluster the subscription is made as `infra.redis_pubsub` says: through the
current master, or through any one node of the cluster (a PUBLISH reaches them all).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from infra.redis_errors import REDIS_FAILURES
from infra.redis_pubsub import subscription

log = logging.getLogger(__name__)

CHANNEL = "pxq:forget"
RESUBSCRIBE_S = 1.0  # after a lost subscription, wait this long before trying again
POLL_S = 0.05  # how long one read waits for a message: a stop is noticed within it


class Coherence:
    """One per `Services`: `caches` maps a cache's name to how to drop one key of it."""

    def __init__(self, redis: Any, caches: Mapping[str, Callable[[int], None]], clear_all: Callable[[], None]):
        self.redis = redis
        self._caches = dict(caches)
        self._clear_all = clear_all

    async def forget(self, cache: str, key: int) -> None:
        """After the change is committed: here at once, elsewhere through the channel."""
        self._caches[cache](key)
        try:
            await self.redis.publish(CHANNEL, f"{cache}:{key}")
        except REDIS_FAILURES as exc:
            log.warning("cache change not published: %s", type(exc).__name__, extra={"cache": cache, "key": key})

    def apply(self, message: str | bytes) -> None:
        """A message from the channel: drop what it names (unknown names are ignored, so a newer
        process may name a cache an older one does not have)."""
        text = message.decode() if isinstance(message, bytes) else message
        cache, _, key = text.partition(":")
        forget = self._caches.get(cache)
        if forget is not None and key.lstrip("-").isdigit():
            forget(int(key))

    async def listen(self, stop: asyncio.Event, subscribed: asyncio.Event | None = None) -> None:
        """Apply every message until `stop` is set; subscribe again after a failure. It polls with a
        short timeout and is stopped by `stop`, never cancelled: cancelling redis-py's pub/sub
        mid-read could leave its connection's lock held and the client's close waiting forever."""
        while not stop.is_set():
            try:
                async with subscription(self.redis, CHANNEL) as channel:
                    self._subscribed(subscribed)
                    while not stop.is_set():
                        message = await channel.get_message(POLL_S)
                        if channel.remade():  # redis-py reconnected by itself: messages were lost
                            log.warning("cache channel reconnected: caches cleared")
                            self._subscribed(subscribed)
                        if message is not None and message.get("type") == "message":
                            self.apply(message["data"])
            except REDIS_FAILURES as exc:
                log.warning("cache channel lost, subscribing again: %s", type(exc).__name__)
                await _sleep_unless(stop, RESUBSCRIBE_S)

    def _subscribed(self, subscribed: asyncio.Event | None) -> None:
        self._clear_all()  # whatever was missed while not subscribed
        if subscribed is not None:
            subscribed.set()


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
