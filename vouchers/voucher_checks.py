"""What an institution checks about a scanned voucher: is it ours, genuine, current, usable
here. Shared by verify (验券), enrol (用券) and check-in (签到)."""

from __future__ import annotations

from datetime import datetime

from models import Institution, Person, Voucher, VoucherStatus
from vouchers import errors, qr
from vouchers.batch_cache import cached_batch
from vouchers.services import Services

_REFUSED = {
    VoucherStatus.REVOKED: errors.VoucherRevoked,
    VoucherStatus.EXPIRED: errors.VoucherExpired,
    VoucherStatus.SETTLED: errors.VoucherSettled,
    VoucherStatus.VOIDED: errors.VoucherVoided,
}


async def voucher_from_payload(svc: Services, payload: str) -> Voucher:
    subject = qr.read(svc.qr, payload, qr.VOUCHER)
    # Two plain queries and the per-process batch cache: a select_related join costs more in
    # Tortoise's query building than both round trips. A batch's rules are fixed once published.
    voucher = await Voucher.get_or_none(code=subject.ident)
    if voucher is None:  # signed by us but gone: cannot happen short of a restored backup
        raise errors.VoucherNotFound()
    batch = await cached_batch(voucher.batch_id)
    assert batch is not None  # restricted foreign key
    voucher.batch = batch
    voucher.person = await Person.get(id=voucher.person_id)
    return voucher


def check_current(voucher: Voucher, now: datetime) -> None:
    """Refuse revoked, expired (also before the sweep has run), settled and voided vouchers."""
    refused = _REFUSED.get(VoucherStatus(voucher.status))
    if refused is not None:
        raise refused()
    if voucher.status == VoucherStatus.CLAIMED and now >= voucher.valid_until:
        raise errors.VoucherExpired()


def check_region(voucher: Voucher, institution: Institution) -> None:
    """Usable where one of the batch's usable regions is the institution's region or above it."""
    path = institution.region.path.split("/")
    usable = voucher.batch.usable_regions or [voucher.batch.region_id]
    if not any(code in path for code in usable):
        raise errors.ScanWrongRegion()


def check_usable(voucher: Voucher, institution: Institution, now: datetime) -> None:
    check_current(voucher, now)
    check_region(voucher, institution)
