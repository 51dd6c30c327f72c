"""The card center (卡券中心): batches a person may claim now, and why not for the others."""

from __future__ import annotations

from dataclasses import dataclass

from models import (
    Batch,
    BatchStatus,
    ChannelAccount,
    DistributionMode,
    EligibilityEntry,
    Person,
    Voucher,
    VoucherStatus,
)
from vouchers.claiming.claim import precheck, valid_until_for
from vouchers.common import errors, policy
from vouchers.common.clock import utcnow
from vouchers.services import Services


@dataclass(frozen=True)
class CardCenterEntry:
    batch: Batch
    claimable: bool
    reason: str | None
    message: str | None


async def card_center(
    svc: Services, account: ChannelAccount, limit: int = 50, offset: int = 0
) -> list[CardCenterEntry]:
    now = utcnow()
    batches = (
        await Batch.filter(status=BatchStatus.PUBLISHED, distribution=DistributionMode.GENERAL)
        .prefetch_related("region")
        .order_by("-published_at", "-id")
        .offset(offset)
        .limit(limit)
    )
    person = await Person.get_or_none(id=account.person_id) if account.person_id else None
    claimed: set[int] = set()
    returned: set[int] = set()
    listed: set[int] = set()
    if person is not None:
        ids = [b.id for b in batches]
        held = await Voucher.filter(person_id=person.id, batch_id__in=ids).values_list("batch_id", "status")
        claimed = {batch_id for batch_id, status in held if status != VoucherStatus.RETURNED}
        returned = {batch_id for batch_id, status in held if status == VoucherStatus.RETURNED}
        listed = set(
            await EligibilityEntry.filter(id_hash=person.id_hash, batch_id__in=ids).values_list("batch_id", flat=True)
        )
    entries = []
    for batch in batches:
        try:
            await _check(svc, batch, person, claimed, returned, listed, now)
        except errors.DomainError as refusal:
            entries.append(CardCenterEntry(batch, False, refusal.code, refusal.text))
        else:
            entries.append(CardCenterEntry(batch, True, None, None))
    return entries


async def _check(
    svc: Services, batch: Batch, person: Person | None, claimed: set[int], returned: set[int], listed: set[int], now
) -> None:
    if person is None:
        raise errors.IdentityRequired()
    if batch.id in claimed:
        raise errors.AlreadyClaimed()
    if batch.id in returned and not batch.allow_reclaim_after_return:
        raise errors.ReturnedNotReclaimable()  # gave one back (退券), and the batch is not claimed twice
    try:
        precheck(batch, now, None)
    except errors.GroupRequired:
        pass  # the trainee picks a group when claiming
    if batch.remaining <= 0:
        raise errors.SoldOut()
    if batch.requires_eligibility_list and batch.id not in listed:
        raise errors.NotEligible()
    path = batch.region.path
    rule, scope = svc.policy.for_region(path), svc.policy.scope_of(path)
    await policy.check_claim(rule, person.id, batch, now, None, valid_until_for(batch, now), scope)
