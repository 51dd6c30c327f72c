"""Bureau use cases on batches: create, edit while draft, publish, close, read."""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from models import Batch, BatchStatus, BureauUser, Region, ValidityMode
from vouchers.batches.spec import BatchSpec
from vouchers.common import errors
from vouchers.common.clock import end_of_local_day, utcnow
from vouchers.identity.bureau_auth import ensure_covers
from vouchers.services import Services


async def _checked_fields(user: BureauUser, spec: BatchSpec) -> dict[str, Any]:
    region = await Region.get_or_none(code=spec.region)
    if region is None:
        raise errors.InvalidInput("地区代码不存在", field="region")
    ensure_covers(user, region)
    usable = spec.usable_regions or [region.code]
    found = {r.code: r for r in await Region.filter(code__in=usable)}
    for code in usable:
        if code not in found:
            raise errors.InvalidInput(f"可用地区 {code} 不存在", field="usable_regions")
        ensure_covers(user, found[code])
    data = spec.model_dump(exclude={"region"})
    data["usable_regions"] = usable
    data["voucher_type"] = spec.voucher_type or spec.project_types[0]
    data["region_id"] = region.code
    return data


async def create_batch(user: BureauUser, spec: BatchSpec) -> Batch:
    data = await _checked_fields(user, spec)
    return await Batch.create(**data, remaining=spec.quantity, created_by_id=user.id)


async def get_batch(user: BureauUser, batch_id: int) -> Batch:
    batch = await Batch.get_or_none(id=batch_id).prefetch_related("region")
    if batch is None:
        raise errors.NotFound("批次不存在")
    ensure_covers(user, batch.region)
    return batch


async def list_batches(user: BureauUser, status: BatchStatus | None, limit: int, offset: int) -> list[Batch]:
    query = Batch.filter(region__path__startswith=user.region.path).prefetch_related("region")
    if status:
        query = query.filter(status=status)
    return await query.order_by("-id").offset(offset).limit(limit)


async def update_batch(user: BureauUser, batch_id: int, spec: BatchSpec) -> Batch:
    batch = await get_batch(user, batch_id)
    data = await _checked_fields(user, spec)
    async with in_transaction() as conn:
        updated = (
            await Batch.filter(id=batch.id, status=BatchStatus.DRAFT)
            .using_db(conn)
            .update(**data, remaining=spec.quantity)
        )
        if not updated:
            raise errors.BatchNotEditable()
    return await get_batch(user, batch_id)


async def publish_batch(svc: Services, user: BureauUser, batch_id: int) -> Batch:
    batch = await get_batch(user, batch_id)
    now = utcnow()
    if batch.validity_mode == ValidityMode.FIXED_DATE and end_of_local_day(batch.valid_until_date) <= now:
        raise errors.BatchStateConflict("有效期已过的批次不能发布")
    updated = await Batch.filter(id=batch.id, status=BatchStatus.DRAFT).update(
        status=BatchStatus.PUBLISHED, published_at=now
    )
    if not updated:
        raise errors.BatchStateConflict("只有草稿状态的批次可以发布")
    # A cached draft copy would refuse claims for a second after publishing, in every process.
    await svc.coherence.forget("batches", batch.id)
    try:
        # Replaced even if its keys exist: they may be left from another life of this batch id
        # (a database restored from a backup next to a Redis that kept its data).
        await svc.gate.rebuild(batch.id, replace=True)
    except errors.ServiceBusy:
        pass  # Redis is down: the gate is built on the first claim once it is back
    return await get_batch(user, batch_id)


async def close_batch(svc: Services, user: BureauUser, batch_id: int) -> Batch:
    """Stops claiming. Vouchers already claimed stay valid until their own end."""
    batch = await get_batch(user, batch_id)
    updated = await Batch.filter(id=batch.id, status=BatchStatus.PUBLISHED).update(
        status=BatchStatus.CLOSED, closed_at=utcnow()
    )
    if not updated:
        raise errors.BatchStateConflict("只有已发布的批次可以关闭")
    # Without this, this process's cached copy still reads "published" for up to a second, the
    # gate rebuilds with stock 0 and a trainee is told "sold_out" instead of "claim_closed".
    await svc.coherence.forget("batches", batch.id)
    await svc.gate.forget(batch.id)
    return await get_batch(user, batch_id)
