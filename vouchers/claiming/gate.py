"""The Redis gate in front of the claim transaction: turns losers away fast.

One Lua script answers "is stock left, has this person claimed" and reserves atomically, for
every claim of a batch that arrived in the same turn of the event loop, in arrival order: one
round trip for hundreds of claimants instead of hundreds (redis-py spends ~150 us of this
process's CPU on each call, which in a rush's first second was most of a winner's wait).
PostgreSQL stays the system of record; the gate may be rebuilt from it at any time. Where the
gate and the database disagree, the database wins and the gate corrects itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from infra.redis_errors import REDIS_FAILURES
from infra.waiters import answer
from vouchers.common import errors

log = logging.getLogger(__name__)

# ARGV: person ids in arrival order. Returns one Reservation value per person, or {-2} when the
# gate of the batch is not loaded. The same person twice gets RESERVED, then ALREADY_CLAIMED.
_RESERVE = """
local stock = redis.call('GET', KEYS[1])
if not stock then return {-2} end
stock = tonumber(stock)
local answers, taken = {}, 0
for i, person in ipairs(ARGV) do
  if redis.call('SISMEMBER', KEYS[2], person) == 1 then
    answers[i] = -1
  elseif stock - taken <= 0 then
    answers[i] = 0
  else
    redis.call('SADD', KEYS[2], person)
    taken = taken + 1
    answers[i] = 1
  end
end
if taken > 0 then redis.call('DECRBY', KEYS[1], taken) end
return answers
"""

# keep_member=1: the database says this person holds a voucher, so they stay in the set.
_RELEASE = """
if ARGV[2] == '1' then
  if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('INCR', KEYS[1]) end
  return 1
end
if redis.call('SREM', KEYS[2], ARGV[1]) == 1 and redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('INCR', KEYS[1])
end
return 1
"""


# The gate's other reads and writes of both keys at once, each one script call so that it is atomic
# on every kind of Redis: one server, a Sentinel-managed master, and a Redis Cluster, where both
# keys share a hash tag (`_keys`) and so a slot (docs/redis-ha.md).

# Returns {} when the gate is not loaded, else {stock, number of claimants}.
_STOCK_AND_COUNT = """
local stock = redis.call('GET', KEYS[1])
if not stock then return {} end
return {tonumber(stock), redis.call('SCARD', KEYS[2])}
"""

# Returns {} when the gate is not loaded, else {stock, claimant, claimant, ...}.
_STOCK_AND_CLAIMANTS = """
local stock = redis.call('GET', KEYS[1])
if not stock then return {} end
local claimants = redis.call('SMEMBERS', KEYS[2])
table.insert(claimants, 1, stock)
return claimants
"""

# ARGV: stock, then the claimants. Added 5,000 at a time: Lua's unpack has a stack limit.
_LOAD = """
redis.call('DEL', KEYS[2])
for i = 2, #ARGV, 5000 do
  redis.call('SADD', KEYS[2], unpack(ARGV, i, math.min(i + 4999, #ARGV)))
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
"""


class Reservation(IntEnum):
    NOT_LOADED = -2
    ALREADY_CLAIMED = -1
    SOLD_OUT = 0
    RESERVED = 1


def _keys(batch_id: int) -> list[str]:
    # The hash tag keeps both keys of a batch in one slot on a Redis cluster.
    return [f"pxq:gate:{{b{batch_id}}}:stock", f"pxq:gate:{{b{batch_id}}}:claimed"]


# Once a batch is sold out, thousands keep pressing "claim". While the gate's stock is 0 nobody can
# be added to its claimants, so a snapshot of them answers every press exactly as the script
# would, without a Redis round trip. A snapshot is trusted for SOLD_OUT_TTL_S after the check that
# made it; from half-way, the next press starts a new check in the background and keeps being
# answered from the snapshot meanwhile, so under steady pressing no press ever waits for Redis
# (when every in-flight press went to Redis at once, each expiry was a visible stall). Within its
# short life a snapshot may be stale in one direction only: a unit freed by a failed claim is
# offered again a moment later.
SOLD_OUT_TTL_S = 0.5
SOLD_OUT_MAX_CLAIMANTS = 200_000  # above this, keeping a snapshot per process costs too much memory


@dataclass(frozen=True)
class _SoldOut:
    checked_at: float
    claimants: frozenset[int]

    def answer(self, person_id: int) -> Reservation:
        return Reservation.ALREADY_CLAIMED if person_id in self.claimants else Reservation.SOLD_OUT


class ClaimGate:
    def __init__(self, redis: Any, clock: Callable[[], float] = time.monotonic) -> None:
        self.redis = redis
        self.clock = clock  # the snapshots' age (tests move it)
        self._reserve = redis.register_script(_RESERVE)
        self._release = redis.register_script(_RELEASE)
        self._stock_and_count = redis.register_script(_STOCK_AND_COUNT)
        self._stock_and_claimants = redis.register_script(_STOCK_AND_CLAIMANTS)
        self._load = redis.register_script(_LOAD)
        self._sold_out: dict[int, _SoldOut] = {}
        self._checking: dict[int, asyncio.Task[None]] = {}
        self._queued: dict[int, list[tuple[int, asyncio.Future[Reservation]]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def reserve(self, batch_id: int, person_id: int) -> Reservation:
        memo = self._sold_out.get(batch_id)
        if memo is not None:
            age = self.clock() - memo.checked_at
            if age < SOLD_OUT_TTL_S:
                if age >= SOLD_OUT_TTL_S / 2:
                    self._check_sold_out(batch_id, memo)  # not awaited: this press is answered now
                return memo.answer(person_id)
        result = await self._reserve_in_redis(batch_id, person_id)
        if result is Reservation.SOLD_OUT:
            # Shielded: a press that goes away must not cancel the check the others wait on.
            await asyncio.shield(self._check_sold_out(batch_id, memo))
        return result

    def _check_sold_out(self, batch_id: int, previous: _SoldOut | None) -> asyncio.Task[None]:
        """The running check of this batch's snapshot, or a new one: one check at a time."""
        task = self._checking.get(batch_id)
        if task is None:
            task = asyncio.ensure_future(self._snapshot_sold_out(batch_id, previous))
            self._checking[batch_id] = task
            task.add_done_callback(lambda _: self._checking.pop(batch_id, None))
        return task

    async def _snapshot_sold_out(self, batch_id: int, previous: _SoldOut | None) -> None:
        """Snapshot (or re-confirm) the claimants of a sold-out batch, or drop the snapshot."""
        stock_key, members_key = _keys(batch_id)
        checked_at = self.clock()
        try:
            reply = await self._stock_and_count(keys=[stock_key, members_key])
            stock, count = reply or (None, 0)
            if stock is None or int(stock) > 0 or count > SOLD_OUT_MAX_CLAIMANTS:
                self._sold_out.pop(batch_id, None)
                return
            if previous is not None and len(previous.claimants) == count:
                claimants = previous.claimants
            else:
                claimants = frozenset(int(m) for m in await self.redis.smembers(members_key))
            self._sold_out[batch_id] = _SoldOut(checked_at, claimants)
        except REDIS_FAILURES:
            self._sold_out.pop(batch_id, None)  # the next press asks the script again

    async def _reserve_in_redis(self, batch_id: int, person_id: int) -> Reservation:
        """Queues the claim for this turn's script call of its batch. Each caller waits on its own
        future, so one that goes away cancels nothing shared."""
        loop = asyncio.get_running_loop()
        queue = self._queued.get(batch_id)
        if queue is None:
            queue = self._queued[batch_id] = []
            loop.call_soon(self._send_queued, batch_id)  # after every claim ready in this turn
        future: asyncio.Future[Reservation] = loop.create_future()
        queue.append((person_id, future))
        return await future

    def _send_queued(self, batch_id: int) -> None:
        queue = self._queued.pop(batch_id, [])
        task = asyncio.ensure_future(self._reserve_queued(batch_id, queue))
        self._tasks.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(self._tasks.discard)

    async def _reserve_queued(self, batch_id: int, queue: list[tuple[int, asyncio.Future[Reservation]]]) -> None:
        persons = [person_id for person_id, _ in queue]
        try:
            answers = await self._reserve_all(batch_id, persons)
        except BaseException as exc:
            for _, future in queue:
                answer(future, exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (person_id, future), reservation in zip(queue, answers, strict=True):
            if future.done() and reservation is Reservation.RESERVED:
                await self.release(batch_id, person_id)  # its caller left: give the unit back
            answer(future, reservation)

    async def _reserve_all(self, batch_id: int, persons: list[int]) -> list[Reservation]:
        for _ in range(3):
            try:
                answers = [Reservation(int(a)) for a in await self._call(self._reserve, batch_id, persons)]
            except errors.ServiceBusy:
                # The script may have run before the answer was lost: undo reservations that may
                # exist, so nobody is left "claimed" without a voucher.
                for person_id in dict.fromkeys(persons):
                    await self.release(batch_id, person_id)
                raise
            if answers != [Reservation.NOT_LOADED]:
                return answers
            await self.rebuild(batch_id)
        raise errors.ServiceBusy()

    async def release(self, batch_id: int, person_id: int, *, keep_member: bool = False) -> None:
        self._sold_out.pop(batch_id, None)
        try:
            await self._release(keys=_keys(batch_id), args=[person_id, "1" if keep_member else "0"])
        except REDIS_FAILURES:
            # The gate is now one unit short: conservative, never an oversell. A rebuild heals it.
            log.warning("claim gate release failed", extra={"batch_id": batch_id})

    async def give_back(self, batch_id: int, person_id: int, *, may_claim_again: bool) -> None:
        """A voucher was returned (退券, committed): its unit is back in stock; its person stays a
        claimant, so is refused again, unless the batch lets them claim it again."""
        await self.release(batch_id, person_id, keep_member=not may_claim_again)

    async def mark_sold_out(self, batch_id: int) -> None:
        try:
            await self.redis.set(_keys(batch_id)[0], 0)
        except REDIS_FAILURES:
            log.warning("claim gate sold-out mark failed", extra={"batch_id": batch_id})

    async def rebuild(self, batch_id: int, *, replace: bool = False) -> None:
        """Load stock and claimants of one batch from the database (one rebuilder at a time).
        With `replace` a gate that exists is loaded again: publishing, or the periodic check found
        it disagreeing with the database (`reconcile_gates`)."""
        from models import Batch, BatchStatus

        self._sold_out.pop(batch_id, None)
        stock_key, members_key = _keys(batch_id)
        lock = self.redis.lock(f"pxq:gate:{{b{batch_id}}}:rebuild", timeout=30, blocking_timeout=10)
        try:
            async with lock:
                if not replace and await self.redis.exists(stock_key):
                    return  # another process rebuilt it while we waited
                batch = await Batch.get_or_none(id=batch_id)
                remaining = batch.remaining if batch and batch.status == BatchStatus.PUBLISHED else 0
                person_ids = await holders(batch_id, bool(batch and batch.allow_reclaim_after_return))
                await self._load(keys=[stock_key, members_key], args=[remaining, *person_ids])
        except REDIS_FAILURES as exc:
            raise errors.ServiceBusy() from exc

    async def read(self, batch_id: int) -> tuple[int | None, set[int]]:
        """The gate's stock (None when not loaded) and claimants, read at one instant."""
        reply = await self._stock_and_claimants(keys=_keys(batch_id))
        if not reply:
            return None, set()
        return int(reply[0]), {int(m) for m in reply[1:]}

    async def forget(self, batch_id: int) -> None:
        """Drop a batch's gate (closing it). If Redis is down the keys stay, which is harmless:
        a closed batch is refused before the gate is asked."""
        self._sold_out.pop(batch_id, None)
        try:
            await self.redis.delete(*_keys(batch_id))
        except REDIS_FAILURES:
            log.warning("claim gate forget failed", extra={"batch_id": batch_id})

    async def rebuild_all(self, batch_ids: list[int]) -> None:
        """Start-up: drop what Redis holds and load every open batch again."""
        try:
            for batch_id in batch_ids:
                await self.redis.delete(*_keys(batch_id))
                await self.rebuild(batch_id)
        except REDIS_FAILURES as exc:
            raise errors.ServiceBusy() from exc

    async def _call(self, script: Any, batch_id: int, args: list[Any]) -> Any:
        # No asyncio.wait_for here: it costs a timer per call on the hot path; the client's own
        # socket timeout (peixunquan.redis_client) bounds a call to an unresponsive Redis.
        try:
            return await script(keys=_keys(batch_id), args=args)
        except (*REDIS_FAILURES, TimeoutError) as exc:
            raise errors.ServiceBusy() from exc


async def holders(batch_id: int, reclaim_allowed: bool) -> list[int]:
    """The persons the gate turns away as having claimed the batch: every holder of a voucher of
    it, except, where the batch allows claiming again, those whose voucher was returned."""
    from models import Voucher, VoucherStatus

    vouchers = Voucher.filter(batch_id=batch_id)
    if reclaim_allowed:
        vouchers = vouchers.exclude(status=VoucherStatus.RETURNED)
    return list(await vouchers.values_list("person_id", flat=True))
