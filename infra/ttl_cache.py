"""Per-process values that may be a few seconds old, loaded once however many ask together.

When an entry expires under load, every request of the next few milliseconds misses it. Loading
it once per request sent dozens of identical queries at once (the scan call's institution: 64 at
every expiry on the scan bench, each waiting for a pooled connection behind the others); here the
first miss starts the load and the others await the same load.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    def __init__(self, load: Callable[[K], Awaitable[V]], ttl_s: float, max_entries: int = 10_000) -> None:
        self._load = load
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._values: dict[K, tuple[float, V]] = {}
        self._loading: dict[K, asyncio.Task[V]] = {}

    def fresh(self, key: K) -> V | None:
        """The value if it is here and fresh, else None, without a coroutine: the scan path asks
        twice per scan and almost always finds it (`x = cache.fresh(k) or await cache.get(k)`)."""
        hit = self._values.get(key)
        if hit is not None and time.monotonic() - hit[0] < self._ttl_s:
            return hit[1]
        return None

    async def get(self, key: K) -> V:
        hit = self._values.get(key)
        if hit is not None and time.monotonic() - hit[0] < self._ttl_s:
            return hit[1]
        loading = self._loading.get(key)
        if loading is None or loading.get_loop() is not asyncio.get_running_loop():
            loading = self._loading[key] = asyncio.ensure_future(self._load_into(key))
            # Retrieved even if every caller has gone away, so a failure is not logged as lost.
            loading.add_done_callback(lambda task: task.cancelled() or task.exception())
        # A caller that is cancelled leaves the load running for the others.
        return await asyncio.shield(loading)

    async def _load_into(self, key: K) -> V:
        started = time.monotonic()  # the value is as old as the read that found it
        this = asyncio.current_task()
        try:
            value = await self._load(key)
        finally:
            ours = self._loading.get(key) is this
            if ours:
                del self._loading[key]
        if ours:  # not forgotten meanwhile: a value read before a change must not be kept
            if len(self._values) >= self._max_entries:
                self._values.clear()
            self._values[key] = (started, value)
        return value

    def forget(self, key: K) -> None:
        self._values.pop(key, None)
        self._loading.pop(key, None)

    def clear(self) -> None:
        self._values.clear()
        self._loading.clear()
