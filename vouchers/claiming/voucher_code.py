"""The rotating QR code of a trainee's own voucher, and the classroom code of a class."""

from __future__ import annotations

from models import ChannelAccount, Staff, TrainingClass, Voucher, VoucherStatus
from vouchers.common import errors
from vouchers.common.clock import utcnow
from vouchers.qr import codes as qr
from vouchers.qr.codes import SignedCode
from vouchers.scanning.checks import check_current
from vouchers.services import Services

SHOWABLE = (VoucherStatus.CLAIMED, VoucherStatus.ENROLLED, VoucherStatus.COMPLETED)


async def my_voucher_code(svc: Services, account: ChannelAccount, code: str) -> SignedCode:
    if account.person_id is None:
        raise errors.IdentityRequired()
    # Someone else's voucher is "not found": codes must not be probeable.
    voucher = await Voucher.get_or_none(code=code, person_id=account.person_id)
    if voucher is None:
        raise errors.NotFound("培训券不存在")
    check_current(voucher, utcnow())
    return qr.sign(svc.qr, qr.VOUCHER, voucher.code)


async def class_code(svc: Services, staff: Staff, class_id: int) -> tuple[TrainingClass, SignedCode]:
    training_class = await TrainingClass.get_or_none(id=class_id, institution_id=staff.institution_id)
    if training_class is None:
        raise errors.ClassNotFound()
    return training_class, qr.sign(svc.qr, qr.CLASS, str(training_class.id))
