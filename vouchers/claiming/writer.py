"""Group commit for claims: the winners of one batch waiting at the same moment are written with
one statement and one commit.

Every claim takes a unit from the same batch row, and PostgreSQL holds that row until the commit's
WAL flush is done, so claims written one by one queue behind each other's flush. Here one writer
per batch takes everyone who queued while the previous group was being written. One person's
outcome never depends on another's: a group the stock cannot cover, or that loses a race on
unique(batch, person), is settled again one claim at a time.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tortoise.exceptions import IntegrityError

from infra.waiters import answer, answer_group
from models.sql.claim import ClaimRow, insert_claim, insert_claims
from vouchers.common import errors

MAX_GROUP = 200

_Waiting = list[tuple[ClaimRow, "asyncio.Future[int]"]]


class ClaimWriter:
    def __init__(self) -> None:
        self._queues: dict[int, _Waiting] = {}
        self._writing: set[int] = set()
        self._tasks: set[asyncio.Future[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def write(self, conn: Any, batch_id: int, voucher_type: str, row: ClaimRow) -> int:
        """The new voucher's id; raises `SoldOut` or `AlreadyClaimed`."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop: queues of the old one are gone with it
            self._loop, self._queues, self._writing = loop, {}, set()
        future: asyncio.Future[int] = loop.create_future()
        self._queues.setdefault(batch_id, []).append((row, future))
        if batch_id not in self._writing:
            self._writing.add(batch_id)
            task = asyncio.ensure_future(self._drain(conn, batch_id, voucher_type))
            self._tasks.add(task)  # the loop keeps only a weak reference to a task
            task.add_done_callback(self._tasks.discard)
        # A caller that goes away cancels only its own future; the group is written regardless.
        return await future

    async def _drain(self, database: Any, batch_id: int, voucher_type: str) -> None:
        try:
            while self._queues.get(batch_id):
                try:
                    async with database.acquire_connection() as conn:
                        await self._write_queued(conn, batch_id, voucher_type)
                except Exception as exc:  # no connection to be had: everyone queued hears why
                    for _, future in self._queues.pop(batch_id, []):
                        answer(future, exc)
        finally:
            self._writing.discard(batch_id)

    async def _write_queued(self, conn: Any, batch_id: int, voucher_type: str) -> None:
        """Writes groups for as long as claims keep queueing. Returns early after a group failed as
        a whole: the connection may be broken, so the rest are written on a fresh one."""
        while waiting := self._queues.pop(batch_id, None):
            for start in range(0, len(waiting), MAX_GROUP):
                if not await self._write_group(conn, batch_id, voucher_type, waiting[start : start + MAX_GROUP]):
                    self._requeue(batch_id, waiting[start + MAX_GROUP :])
                    return

    def _requeue(self, batch_id: int, waiting: _Waiting) -> None:
        if waiting:
            self._queues[batch_id] = waiting + self._queues.get(batch_id, [])

    async def _write_group(self, conn: Any, batch_id: int, voucher_type: str, group: _Waiting) -> bool:
        """Answers every waiter of the group; False when the group failed as a whole."""
        return await answer_group(group, _settle(conn, batch_id, voucher_type, [row for row, _ in group]))


async def _settle(conn: Any, batch_id: int, voucher_type: str, rows: list[ClaimRow]) -> list[int | Exception]:
    if len(rows) > 1:
        try:
            written = await insert_claims(conn, batch_id, voucher_type, rows)
        except IntegrityError:
            written = None  # one of them was claimed concurrently elsewhere: settle one by one
        if written is not None:
            return [written.get(row.person_id, errors.AlreadyClaimed()) for row in rows]
    return [await _settle_one(conn, batch_id, voucher_type, row) for row in rows]


async def _settle_one(conn: Any, batch_id: int, voucher_type: str, row: ClaimRow) -> int | Exception:
    try:
        voucher_id = await insert_claim(
            conn,
            batch_id=batch_id,
            code=row.code,
            person_id=row.person_id,
            voucher_type=voucher_type,
            eligible_group=row.eligible_group,
            account_id=row.account_id,
            claimed_at=row.claimed_at,
            valid_until=row.valid_until,
            detail_json=row.detail_json,
        )
    except IntegrityError:
        return errors.AlreadyClaimed()
    return errors.SoldOut() if voucher_id is None else voucher_id
