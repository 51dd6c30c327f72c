"""The Redis gate in front of the claim transaction: turns losers away fast.

One Lua script answers "is stock left, has this person claimed" and reserves atomically.
PostgreSQL stays the system of record; the gate may be rebuilt from it at any time. Where the
gate and the database disagree, the database wins and the gate corrects itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from redis.exceptions import RedisError

from vouchers import errors

log = logging.getLogger(__name__)

_RESERVE = """
local stock = redis.call('GET', KEYS[1])
if not stock then return -2 end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return -1 end
if tonumber(stock) <= 0 then return 0 end
redis.call('DECR', KEYS[1])
redis.call('SADD', KEYS[2], ARGV[1])
return 1
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
# would, without a Redis round trip. The snapshot lives SOLD_OUT_TTL_S, then one request checks
# (stock still 0, same number of claimants) and extends it. Within that short life it may be
# stale in one direction only: a unit freed by a failed claim is offered again a moment later.
SOLD_OUT_TTL_S = 0.5
SOLD_OUT_MAX_CLAIMANTS = 200_000  # above this, keeping a snapshot per process costs too much memory


@dataclass(frozen=True)
class _SoldOut:
    until: float
    claimants: frozenset[int]


class ClaimGate:
    def __init__(self, redis: Any) -> None:
        self.redis = redis
        self._reserve = redis.register_script(_RESERVE)
        self._release = redis.register_script(_RELEASE)
        self._sold_out: dict[int, _SoldOut] = {}
        self._checking: dict[int, asyncio.Future[None]] = {}

    async def reserve(self, batch_id: int, person_id: int) -> Reservation:
        memo = self._sold_out.get(batch_id)
        if memo is not None and time.monotonic() < memo.until:
            return Reservation.ALREADY_CLAIMED if person_id in memo.claimants else Reservation.SOLD_OUT
        result = await self._reserve_in_redis(batch_id, person_id)
        if result is Reservation.SOLD_OUT:
            await self._remember_sold_out(batch_id, memo)
        return result

    async def _remember_sold_out(self, batch_id: int, previous: _SoldOut | None) -> None:
        """Snapshot (or re-confirm) the claimants of a sold-out batch; one check at a time."""
        pending = self._checking.get(batch_id)
        if pending is not None:
            await asyncio.shield(pending)
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._checking[batch_id] = done
        stock_key, members_key = _keys(batch_id)
        try:
            pipe = self.redis.pipeline(transaction=True)
            pipe.get(stock_key).scard(members_key)
            stock, count = await pipe.execute()
            if stock is None or int(stock) > 0 or count > SOLD_OUT_MAX_CLAIMANTS:
                self._sold_out.pop(batch_id, None)
                return
            if previous is not None and len(previous.claimants) == count:
                claimants = previous.claimants
            else:
                claimants = frozenset(int(m) for m in await self.redis.smembers(members_key))
            self._sold_out[batch_id] = _SoldOut(time.monotonic() + SOLD_OUT_TTL_S, claimants)
        except (RedisError, OSError):
            self._sold_out.pop(batch_id, None)  # the next press asks the script again
        finally:
            self._checking.pop(batch_id, None)
            done.set_result(None)

    async def _reserve_in_redis(self, batch_id: int, person_id: int) -> Reservation:
        for _ in range(3):
            try:
                result = Reservation(int(await self._call(self._reserve, batch_id, [person_id])))
            except errors.ServiceBusy:
                # The script may have run before the answer was lost: undo a reservation that may
                # exist, so the person is not left "claimed" without a voucher.
                await self.release(batch_id, person_id)
                raise
            if result is not Reservation.NOT_LOADED:
                return result
            await self.rebuild(batch_id)
        raise errors.ServiceBusy()

    async def release(self, batch_id: int, person_id: int, *, keep_member: bool = False) -> None:
        self._sold_out.pop(batch_id, None)
        try:
            await self._release(keys=_keys(batch_id), args=[person_id, "1" if keep_member else "0"])
        except (RedisError, OSError):
            # The gate is now one unit short: conservative, never an oversell. A rebuild heals it.
            log.warning("claim gate release failed", extra={"batch_id": batch_id})

    async def mark_sold_out(self, batch_id: int) -> None:
        try:
            await self.redis.set(_keys(batch_id)[0], 0)
        except (RedisError, OSError):
            log.warning("claim gate sold-out mark failed", extra={"batch_id": batch_id})

    async def rebuild(self, batch_id: int) -> None:
        """Load stock and claimants of one batch from the database (one rebuilder at a time)."""
        from models import Batch, BatchStatus, Voucher

        self._sold_out.pop(batch_id, None)
        stock_key, members_key = _keys(batch_id)
        lock = self.redis.lock(f"pxq:gate:{{b{batch_id}}}:rebuild", timeout=30, blocking_timeout=10)
        try:
            async with lock:
                if await self.redis.exists(stock_key):
                    return  # another process rebuilt it while we waited
                batch = await Batch.get_or_none(id=batch_id)
                remaining = batch.remaining if batch and batch.status == BatchStatus.PUBLISHED else 0
                person_ids = await Voucher.filter(batch_id=batch_id).values_list("person_id", flat=True)
                pipe = self.redis.pipeline(transaction=True)
                pipe.delete(members_key)
                for start in range(0, len(person_ids), 10_000):
                    pipe.sadd(members_key, *person_ids[start : start + 10_000])
                pipe.set(stock_key, remaining)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise errors.ServiceBusy() from exc

    async def forget(self, batch_id: int) -> None:
        """Drop a batch's gate (closing it). If Redis is down the keys stay, which is harmless:
        a closed batch is refused before the gate is asked."""
        self._sold_out.pop(batch_id, None)
        try:
            await self.redis.delete(*_keys(batch_id))
        except (RedisError, OSError):
            log.warning("claim gate forget failed", extra={"batch_id": batch_id})

    async def rebuild_all(self, batch_ids: list[int]) -> None:
        """Start-up: drop what Redis holds and load every open batch again."""
        try:
            for batch_id in batch_ids:
                await self.redis.delete(*_keys(batch_id))
                await self.rebuild(batch_id)
        except (RedisError, OSError) as exc:
            raise errors.ServiceBusy() from exc

    async def _call(self, script: Any, batch_id: int, args: list[Any]) -> Any:
        # No asyncio.wait_for here: it costs a timer per call on the hot path; the client's own
        # socket timeout (peixunquan.redis_client) bounds a call to an unresponsive Redis.
        try:
            return await script(keys=_keys(batch_id), args=args)
        except (RedisError, OSError, TimeoutError) as exc:
            raise errors.ServiceBusy() from exc
