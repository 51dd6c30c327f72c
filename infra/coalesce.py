"""Coalesce lookups: the keys asked for during one turn of the event loop are fetched with one
query, and each caller gets its own row.

In a rush, hundreds of requests miss a cache in the same instant. One `WHERE id IN (...)` for all
of them costs a little more than one single-row query, instead of hundreds of times as much.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import Generic, TypeVar

from infra.waiters import answer

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

MAX_KEYS = 500


class Coalescer(Generic[K, V]):
    def __init__(self, fetch: Callable[[list[K]], Awaitable[Iterable[tuple[K, V]]]]) -> None:
        self._fetch = fetch
        # Each caller waits on its own future: one that is cancelled cancels only its own, so no
        # shield (an extra future and task hop per caller) is needed.
        self._wanted: dict[K, list[asyncio.Future[V | None]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Future[None]] = set()

    async def load(self, key: K) -> V | None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new loop (tests, a restart): what the old one wanted is gone
            self._loop, self._wanted = loop, {}
        if not self._wanted:
            # Runs after every request already ready in this turn has asked for its key.
            loop.call_soon(self._flush)
        future: asyncio.Future[V | None] = loop.create_future()
        waiting = self._wanted.get(key)
        if waiting is None:
            self._wanted[key] = [future]
            if len(self._wanted) >= MAX_KEYS:
                self._flush()
        else:
            waiting.append(future)
        return await future

    def _flush(self) -> None:
        if self._wanted:
            wanted, self._wanted = self._wanted, {}
            task = asyncio.ensure_future(self._answer(wanted))
            self._tasks.add(task)  # the loop keeps only a weak reference to a task
            task.add_done_callback(self._tasks.discard)

    async def _answer(self, wanted: dict[K, list[asyncio.Future[V | None]]]) -> None:
        try:
            found = dict(await self._fetch(list(wanted)))
        except BaseException as exc:
            for futures in wanted.values():
                for future in futures:
                    answer(future, exc)
            if not isinstance(exc, Exception):
                raise
            return
        for key, futures in wanted.items():
            value = found.get(key)
            for future in futures:
                answer(future, value)
