"""The expiry sweep: make "past its validity" durable and push it.

Reads already show a voucher past `valid_until` as expired; the sweep writes it: status, a history
row, and an outbox row (the trainee's notice; the Alipay pass is closed from it). A claimed,
unused voucher expires. An enrolled one whose training was not completed by the end of its
validity is voided where the regional policy says so (Chongqing) and otherwise left to its
training. Safe to run in many workers at once: each row is taken once (`SKIP LOCKED`), and the
status condition makes a repeated sweep change nothing.
"""

from __future__ import annotations

from datetime import datetime

from tortoise import connections
from tortoise.transactions import in_transaction

from models import Batch, Voucher, VoucherStatus
from models.database import is_postgres
from models.sql.expiry import sweep_chunk
from vouchers.common.history import SYSTEM, history_row
from vouchers.common.outbox import outbox_row
from vouchers.common.policy import Policy

CHUNK = 5000


async def expire_vouchers(now: datetime, policy: Policy) -> dict[str, int]:
    """Returns how many vouchers became expired and voided."""
    expired = await _sweep(now, VoucherStatus.CLAIMED, VoucherStatus.EXPIRED, "expired", "voucher_expired", None)
    voided = 0
    voiding = await _batches_that_void_unfinished(now, policy)
    if voiding:
        voided = await _sweep(now, VoucherStatus.ENROLLED, VoucherStatus.VOIDED, "voided", "voucher_voided", voiding)
    return {"expired": expired, "voided": voided}


async def _batches_that_void_unfinished(now: datetime, policy: Policy) -> list[int]:
    batch_ids = (
        await Voucher.filter(status=VoucherStatus.ENROLLED, valid_until__lte=now)
        .distinct()
        .values_list("batch_id", flat=True)
    )
    if not batch_ids:
        return []
    batches = await Batch.filter(id__in=batch_ids).prefetch_related("region")
    return [b.id for b in batches if policy.for_region(b.region.path).void_uncompleted_at_deadline]


async def _sweep(
    now: datetime, before: VoucherStatus, after: VoucherStatus, action: str, kind: str, batch_ids: list[int] | None
) -> int:
    db = connections.get("default")
    total = 0
    while True:
        if is_postgres(db):
            changed = await sweep_chunk(db, now, CHUNK, before, after, action, kind, batch_ids, SYSTEM.kind)
        else:
            changed = await _sweep_orm(now, before, after, action, kind, batch_ids)
        total += changed
        if changed < CHUNK:
            return total


async def _sweep_orm(
    now: datetime, before: VoucherStatus, after: VoucherStatus, action: str, kind: str, batch_ids: list[int] | None
) -> int:
    """SQLite (one worker): the same change through the ORM, one transaction per chunk."""
    query = Voucher.filter(status=before, valid_until__lte=now)
    if batch_ids is not None:
        query = query.filter(batch_id__in=batch_ids)
    async with in_transaction() as conn:
        vouchers = await query.using_db(conn).order_by("id").limit(CHUNK)
        for voucher in vouchers:
            taken = (
                await Voucher.filter(id=voucher.id, status=before).using_db(conn).update(status=after, updated_at=now)
            )
            if not taken:
                continue
            voucher.status = after
            await history_row(voucher, action, SYSTEM, now, str(before), automatic=True).save(using_db=conn)
            await outbox_row(
                kind, now, person_id=voucher.person_id, voucher_id=voucher.id, dedupe_key=f"{kind}:{voucher.id}"
            ).save(using_db=conn)
    return len(vouchers)
