"""A per-process cache of batches for the claim hot path.

A rush sends thousands of claims a second at one batch; reading its rules from the database each
time would make the database the bottleneck for the losers too. Entries live one second, and the
claim transaction re-checks status and stock in the database, so a stale entry can only turn a
claim away for a second, never let a wrong one through. When an entry expires, one request
reloads it and the others wait for that load (no stampede of identical queries).
"""

from __future__ import annotations

import asyncio
import time

from models import Batch

TTL_S = 1.0
_cache: dict[int, tuple[float, Batch | None]] = {}
_loading: dict[int, asyncio.Future[Batch | None]] = {}


async def cached_batch(batch_id: int) -> Batch | None:
    hit = _cache.get(batch_id)
    if hit and time.monotonic() - hit[0] < TTL_S:
        return hit[1]
    pending = _loading.get(batch_id)
    if pending is not None:
        return await asyncio.shield(pending)
    future: asyncio.Future[Batch | None] = asyncio.get_running_loop().create_future()
    _loading[batch_id] = future
    try:
        batch = await Batch.get_or_none(id=batch_id).prefetch_related("region")
    except BaseException as exc:
        future.set_exception(exc)
        future.exception()  # mark retrieved: waiters (if any) get it, nobody else must
        raise
    finally:
        _loading.pop(batch_id, None)
    if len(_cache) > 10_000:
        _cache.clear()
    _cache[batch_id] = (time.monotonic(), batch)
    future.set_result(batch)
    return batch


def forget(batch_id: int) -> None:
    _cache.pop(batch_id, None)


def clear() -> None:
    _cache.clear()
