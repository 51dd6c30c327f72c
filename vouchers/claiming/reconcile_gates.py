"""The claim gates' periodic check: a gate that disagrees with the database is rebuilt from it.

A gate can outlive the database it was built from (a backup restored next to a Redis that kept
its data, a Redis restored from elsewhere): it then answers `sold_out` with units left, or lets
through claims the database will refuse. The database wins. A claim in flight (reserved in
Redis, its transaction not committed yet) looks for a moment like a gate member without a
voucher; such a difference is fixed only when the same one is still there after GRACE_S.
"""

from __future__ import annotations

import hashlib
import logging
import time

from infra.redis_errors import REDIS_FAILURES
from models import Batch, BatchStatus
from vouchers.claiming.gate import holders as gate_holders
from vouchers.common import errors
from vouchers.services import Services

log = logging.getLogger(__name__)

GRACE_S = 10.0  # far longer than a claim transaction takes
INTERVAL_S = 60.0  # how often the worker runs the check


async def reconcile_gates(svc: Services) -> int:
    """Checks the gate of every published batch; returns how many were rebuilt."""
    rebuilt = 0
    published = Batch.filter(status=BatchStatus.PUBLISHED)
    for batch_id, remaining, reclaim in await published.values_list("id", "remaining", "allow_reclaim_after_return"):
        try:
            rebuilt += await reconcile_gate(svc, batch_id, remaining, reclaim)
        except (*REDIS_FAILURES, errors.ServiceBusy):
            log.warning("claim gate check failed", extra={"batch_id": batch_id})
    return rebuilt


async def reconcile_gate(svc: Services, batch_id: int, remaining: int, reclaim_allowed: bool = False) -> bool:
    # The database first: a claim committed between the two reads then shows as in flight
    # (member without voucher), never as a voucher the gate does not know.
    holders = set(await gate_holders(batch_id, reclaim_allowed))
    stock, in_gate = await svc.gate.read(batch_id)
    if stock is None:
        return False  # not loaded: the first claim builds it from the database
    in_flight = in_gate - holders
    suspect_key = f"pxq:gate:{{b{batch_id}}}:suspect"
    explained = holders <= in_gate and int(stock) == remaining - len(in_flight)
    if explained and not in_flight:
        return False
    if explained:
        digest = hashlib.sha256(",".join(map(str, sorted(in_flight))).encode()).hexdigest()[:32]
        seen = await svc.redis.get(suspect_key)
        seen_text = seen.decode() if isinstance(seen, bytes) else seen
        if seen_text is None or seen_text.split(":")[0] != digest:
            await svc.redis.set(suspect_key, f"{digest}:{time.time()}", ex=3600)
            return False
        if time.time() - float(seen_text.split(":")[1]) < GRACE_S:
            return False
    log.warning(
        "claim gate disagreed with the database: rebuilt",
        extra={"batch_id": batch_id, "gate_stock": int(stock), "remaining": remaining},
    )
    await svc.gate.rebuild(batch_id, replace=True)
    await svc.redis.delete(suspect_key)
    return True
