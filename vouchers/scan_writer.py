"""Group commit for scan records: the records of every scan answered at the same moment are
written with one statement and one commit.

Most scans write nothing but their record (a verify, a refusal, a second check-in). One statement
and one commit each made the database round trips, not the scans, the cost of a busy desk. Here
one writer takes every record that queued while the previous group was being written, as
`vouchers.claim_writer` does for claims. Each scan still gets its own outcome: its record's id, or
None when its nonce was used before (then its answer is the first one, read by the caller).
"""

from __future__ import annotations

import asyncio
from typing import Any

from tortoise import connections

from models.scan_statements import ScanRow, insert_scans
from vouchers.waiters import answer

MAX_GROUP = 200

_Waiting = list[tuple[ScanRow, "asyncio.Future[int | None]"]]


class ScanWriter:
    def __init__(self) -> None:
        self._queue: _Waiting = []
        self._writing = False
        self._tasks: set[asyncio.Future[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def write(self, row: ScanRow) -> int | None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (tests): the old one's queue is gone with it
            self._loop, self._queue, self._writing = loop, [], False
        future: asyncio.Future[int | None] = loop.create_future()
        self._queue.append((row, future))
        if not self._writing:
            self._writing = True
            task = asyncio.ensure_future(self._drain())
            self._tasks.add(task)  # the loop keeps only a weak reference to a task
            task.add_done_callback(self._tasks.discard)
        # A caller that goes away cancels only its own future; the group is written regardless.
        return await future

    async def _drain(self) -> None:
        try:
            while self._queue:
                waiting, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
                await self._write_group(connections.get("default"), waiting)
        finally:
            self._writing = False

    async def _write_group(self, conn: Any, group: _Waiting) -> None:
        # A nonce twice in one group: the first is written, the others are its replays.
        unique: dict[tuple[int, str], ScanRow] = {}
        for row, _ in group:
            unique.setdefault((row.staff_id, row.nonce), row)
        rows = list(unique.values())
        try:
            ids = dict(zip((id(r) for r in rows), await insert_scans(conn, rows), strict=True))
        except BaseException as exc:
            for _, future in group:
                answer(future, exc)
            if not isinstance(exc, Exception):
                raise
            return
        for row, future in group:
            answer(future, ids.get(id(row)))  # a duplicate in the group gets None


writer = ScanWriter()
