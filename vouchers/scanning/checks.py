"""What an institution checks about a scanned voucher: is it ours, genuine, current, usable
here. Shared by verify (验券), enrol (用券) and check-in (签到)."""

from __future__ import annotations

import functools
from datetime import datetime

from models import Institution, Voucher, VoucherStatus
from models.sql.scan_rows import ScanKey, ScannedVoucher, ScanRead, ScanStaff
from vouchers.common import errors
from vouchers.common.tokens import TokenClaims
from vouchers.institutions.staff_auth import admit
from vouchers.services import Services

_REFUSED = {
    VoucherStatus.REVOKED: errors.VoucherRevoked,
    VoucherStatus.EXPIRED: errors.VoucherExpired,
    VoucherStatus.SETTLED: errors.VoucherSettled,
    VoucherStatus.VOIDED: errors.VoucherVoided,
    VoucherStatus.RETURNED: errors.VoucherReturned,
}


async def read_scanned(
    svc: Services,
    claims: TokenClaims,
    code: str,
    class_id: int | None = None,
    lesson_id: int | None = None,
    *,
    reuse: bool = False,
) -> tuple[ScanStaff, ScanRead | None]:
    """The scanning staff member (Unauthenticated if no longer allowed in) and the voucher a
    genuine code names, with its holder and batch and what a check-in at `class_id` needs to
    know; None if the code names no voucher. The staff row is read in the voucher's statement:
    the scan call is the busiest there is, and this spares it a round trip.

    With `reuse` (a verify), an earlier verify's read of this code may be answered instead
    (`ScanRead.reused`): the scan's record must then be written with its row versions, which the
    insert checks (`vouchers.scanning.recent_reads`)."""
    recalled = svc.recent_reads.recall(claims.subject, claims.version, code) if reuse else None
    if recalled is not None:
        staff, read = await admit(svc, recalled[0], claims), ScanRead(recalled[1], reused=True)
    else:
        found = await svc.scan_reads.submit(ScanKey(claims.subject, code, class_id, lesson_id))
        staff = await admit(svc, found[0] if found else None, claims)
        read = found[1] if found else None
        if reuse and read is not None:
            svc.recent_reads.remember(staff, read.voucher)
    if read is not None:
        # The per-process batch cache: a batch's rules are fixed once published.
        batch = svc.batches.fresh(read.voucher.batch_id) or await svc.batches.get(read.voucher.batch_id)
        assert batch is not None  # restricted foreign key
        read.voucher.batch = batch
    return staff, read


def check_current(voucher: Voucher | ScannedVoucher, now: datetime) -> None:
    """Refuse revoked, expired (also before the sweep has run), settled, voided and returned vouchers."""
    refused = _REFUSED.get(voucher.status)  # a StrEnum: the plain text finds the member too
    if refused is not None:
        raise refused()
    if voucher.status == VoucherStatus.CLAIMED and now >= voucher.valid_until:
        raise errors.VoucherExpired()


def check_region(voucher: Voucher | ScannedVoucher, institution: Institution) -> None:
    """Usable where one of the batch's usable regions is the institution's region or above it."""
    path = _path_codes(institution.region.path)
    usable = voucher.batch.usable_regions or [voucher.batch.region_id]
    if path.isdisjoint(usable):
        raise errors.ScanWrongRegion()


@functools.lru_cache(maxsize=4096)  # a region's path never changes; every scan checks one
def _path_codes(path: str) -> frozenset[str]:
    return frozenset(path.split("/"))


def check_usable(voucher: Voucher | ScannedVoucher, institution: Institution, now: datetime) -> None:
    check_current(voucher, now)
    check_region(voucher, institution)
