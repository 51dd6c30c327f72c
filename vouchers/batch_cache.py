"""A per-process cache of batches for the claim hot path.

A rush sends thousands of claims a second at one batch; reading its rules from the database each
time would make the database the bottleneck for the losers too. Entries live one second, and the
claim transaction re-checks status and stock in the database, so a stale entry can only turn a
claim away for a second, never let a wrong one through.
"""

from __future__ import annotations

import time

from models import Batch

TTL_S = 1.0
_cache: dict[int, tuple[float, Batch | None]] = {}


async def cached_batch(batch_id: int) -> Batch | None:
    now = time.monotonic()
    hit = _cache.get(batch_id)
    if hit and now - hit[0] < TTL_S:
        return hit[1]
    batch = await Batch.get_or_none(id=batch_id).prefetch_related("region")
    if len(_cache) > 10_000:
        _cache.clear()
    _cache[batch_id] = (now, batch)
    return batch


def clear() -> None:
    _cache.clear()
