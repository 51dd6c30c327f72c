"""Grouped statements on held connections: what callers ask for while a statement runs goes
together in the next, and a held connection serves them for as long as they keep coming.

The scan call runs two statements per scan: the read of what was scanned and the scan record.
Run per caller, or per event-loop turn on a connection taken from the pool and handed back each
time, the statements' fixed costs made up much of a busy desk's CPU: taking and returning a
pooled connection alone cost the server about 50 us per statement. Here a drain task takes a
connection when the first caller arrives, runs a statement for everyone queued, then one for
everyone who queued meanwhile, and returns the connection when nobody is left. Under load the
groups grow by themselves (a group is what arrived during the previous statement); a lone
caller waits for one statement, as before. Up to `drains` drains run at once, each on its own
connection, so callers do not all wait behind one slow commit."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Generic, TypeVar

from infra.waiters import answer, answer_group

T = TypeVar("T")
R = TypeVar("R")

MAX_GROUP = 200

# `run(connection, items)` answers each item, in order: a value, or an exception for that caller.
Run = Callable[[Any, list[T]], Awaitable[list[R | BaseException]]]


class Grouped(Generic[T, R]):
    """`hold()` gives the connection a drain holds (entered once per drain), `run` runs one
    group's statement on it."""

    def __init__(self, hold: Callable[[], AbstractAsyncContextManager[Any]], run: Run[T, R], drains: int = 2) -> None:
        self._hold = hold
        self._run = run
        self._max_drains = drains
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._drains = 0
        self._starting = False
        self._tasks: set[asyncio.Future[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def submit(self, item: T) -> asyncio.Future[R]:
        """The caller's own future, to await: a plain function, not a coroutine, as one layer
        less between a waiting scan and its answer showed on the busiest call."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (tests): the old one's queue is gone with it
            self._loop, self._queue, self._drains, self._starting = loop, [], 0, False
        future: asyncio.Future[R] = loop.create_future()
        self._queue.append((item, future))
        if self._drains < self._max_drains and not self._starting:
            self._start()
        # A caller that goes away cancels only its own future; the group runs regardless.
        return future

    def _start(self) -> None:
        self._drains += 1
        self._starting = True
        # Starts on the next turn of the loop, so every caller ready in this turn joins the group.
        task = asyncio.ensure_future(self._drain())
        self._tasks.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(self._tasks.discard)

    async def _drain(self) -> None:
        self._starting = False
        try:
            # Checked again after each connection is handed back: callers who queued meanwhile
            # (or behind a group that failed) are served by this drain, not stranded.
            while self._queue:
                try:
                    async with self._hold() as conn:
                        while self._queue:
                            group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
                            if not await self._run_group(conn, group):
                                break  # the connection may be broken: the rest get a fresh one
                except Exception as exc:  # no connection to be had: everyone queued hears why
                    group, self._queue = self._queue, []
                    for _, future in group:
                        answer(future, exc)
        finally:
            self._drains -= 1

    async def _run_group(self, conn: Any, group: list[tuple[T, asyncio.Future[R]]]) -> bool:
        """Answers every caller of the group; False when the statement failed as a whole."""
        return await answer_group(group, self._run(conn, [item for item, _ in group]))
