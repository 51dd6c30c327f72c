"""My vouchers (我的卡券): the person's vouchers, and one voucher in detail with its history."""

from __future__ import annotations

from datetime import datetime

from models import ChannelAccount, Voucher, VoucherHistory, VoucherStatus
from models.sql.scan_rows import ScannedVoucher
from vouchers.common import errors
from vouchers.common.clock import days_left


def effective_status(voucher: Voucher | ScannedVoucher, now: datetime) -> VoucherStatus:
    """A claimed voucher past its validity reads as expired even before the sweep runs."""
    if voucher.status == VoucherStatus.CLAIMED and now >= voucher.valid_until:
        return VoucherStatus.EXPIRED
    return VoucherStatus(voucher.status)


def remaining_days(voucher: Voucher, now: datetime) -> int:
    if effective_status(voucher, now) not in (VoucherStatus.CLAIMED, VoucherStatus.ENROLLED):
        return 0
    return days_left(voucher.valid_until, now)


async def my_vouchers(account: ChannelAccount, limit: int = 100, offset: int = 0) -> list[Voucher]:
    if account.person_id is None:
        raise errors.IdentityRequired()
    return (
        await Voucher.filter(person_id=account.person_id)
        .prefetch_related("batch")
        .order_by("-claimed_at", "-id")
        .offset(offset)
        .limit(limit)
    )


async def voucher_detail(account: ChannelAccount, code: str) -> tuple[Voucher, list[VoucherHistory]]:
    if account.person_id is None:
        raise errors.IdentityRequired()
    # Someone else's voucher is "not found", not "forbidden": codes must not be probeable.
    voucher = await Voucher.get_or_none(code=code, person_id=account.person_id).prefetch_related("batch")
    if voucher is None:
        raise errors.NotFound("培训券不存在")
    history = await VoucherHistory.filter(voucher_id=voucher.id).order_by("at", "id")
    return voucher, history
