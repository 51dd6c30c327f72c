"""The platform checks the voucher a trainee presents (the rotating code from the mini program):
genuine and current, usable in the platform's region, within what the bureau allows the platform
and, when a course is named, paying for that course. Changes nothing.

The code itself must be good (a stale or forged code is refused outright: ask the trainee for a
fresh one); what is wrong with the voucher is the answer (`usable` false, with the reason)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models import Batch, Enrolment, OnlineCourse, OnlinePlatform, Voucher, VoucherStatus
from vouchers.common import errors
from vouchers.common.clock import local_date
from vouchers.platforms.auth import PlatformCaller
from vouchers.platforms.courses import check_takes, course_of
from vouchers.qr import codes as qr
from vouchers.scanning.checks import check_current, check_region
from vouchers.scanning.enrol import check_fits
from vouchers.services import Services


async def presented_voucher(svc: Services, code: str) -> Voucher:
    """The voucher of a genuine, current rotating code, with its batch, region and holder. The
    card-pack pass's static code never goes stale, so it is no proof that the trainee is there."""
    try:
        subject = qr.read(svc.qr, code, qr.VOUCHER)
    except errors.QrStatic:
        raise errors.PlatformCodeStatic() from None
    voucher = await Voucher.get_or_none(code=subject.ident).select_related("batch__region", "person")
    if voucher is None:
        raise errors.VoucherNotFound()
    return voucher


def check_platform_takes(platform: OnlinePlatform, batch: Batch) -> None:
    """Some training the platform may take is one the voucher pays for."""
    if batch.project_types and not set(batch.project_types) & set(platform.project_types):
        raise errors.PlatformOutOfScope()
    if batch.occupation and platform.occupations and batch.occupation not in platform.occupations:
        raise errors.PlatformOutOfScope()


@dataclass
class Verdict:
    voucher: Voucher
    usable: bool
    reason: str | None = None  # an error code
    message: str | None = None  # its Chinese text
    enrolled_course: str | None = None  # the course code, when enrolled in one of this platform's


async def verify_voucher(
    svc: Services, caller: PlatformCaller, code: str, course: str | None, now: datetime
) -> Verdict:
    voucher = await presented_voucher(svc, code)
    klass = (await course_of(caller, course)).training_class if course is not None else None
    verdict = Verdict(voucher, usable=True)
    try:
        check_usable_here(caller, voucher, now)
        if klass is not None:
            check_takes(caller.platform, klass)
            check_fits(voucher, klass)
            if klass.end_date < local_date(now):
                raise errors.ClassEnded()
        if voucher.status in (VoucherStatus.ENROLLED, VoucherStatus.COMPLETED):
            raise errors.AlreadyEnrolled()
    except errors.ScanRefused as refused:
        verdict.usable, verdict.reason, verdict.message = False, refused.code, refused.text
    if voucher.status in (VoucherStatus.ENROLLED, VoucherStatus.COMPLETED):
        verdict.enrolled_course = await _enrolled_course(caller, voucher)
    return verdict


async def _enrolled_course(caller: PlatformCaller, voucher: Voucher) -> str | None:
    """The code of this platform's course the voucher is enrolled in (None: elsewhere)."""
    enrolment = await Enrolment.filter(voucher_id=voucher.id, annulled_at=None).first()
    if enrolment is None:
        return None
    course = await OnlineCourse.get_or_none(
        platform_id=caller.platform.id, training_class_id=enrolment.training_class_id
    )
    return course.code if course is not None else None


def check_usable_here(caller: PlatformCaller, voucher: Voucher, now: datetime) -> None:
    check_current(voucher, now)
    check_region(voucher, caller.institution)
    check_platform_takes(caller.platform, voucher.batch)
