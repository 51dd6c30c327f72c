"""The platform reports study (学习进度): minutes in one unit of a course, for a voucher enrolled
in it. Reports add up, per unit and for the course. Each report carries the platform's id for it:
the same id again (a retry) is counted once and answers the same totals; the same id with other
content is refused, so a platform's bug cannot hide behind a retry."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import orjson
from tortoise.exceptions import IntegrityError
from tortoise.functions import Sum

from models import Enrolment, OnlineCourse, StudyReport, Voucher, VoucherStatus
from vouchers.common import errors
from vouchers.platforms.auth import PlatformCaller
from vouchers.platforms.courses import course_of, minutes
from vouchers.platforms.spec import ProgressSpec


@dataclass(frozen=True)
class Progress:
    voucher_code: str
    course: OnlineCourse
    units: dict[str, int]  # unit -> minutes
    repeated: bool = False  # this report was counted before

    @property
    def minutes(self) -> int:
        return sum(self.units.values())

    @property
    def complete(self) -> bool:
        return self.minutes >= self.course.required_minutes


async def enrolled_voucher(caller: PlatformCaller, voucher_code: str, course: OnlineCourse) -> Voucher:
    """The voucher of the code, enrolled (not annulled) in the course; NotInClass otherwise (and for
    a code that names no voucher: a platform learns nothing of vouchers it did not enrol)."""
    enrolment = await Enrolment.filter(
        voucher__code=voucher_code, training_class_id=course.training_class_id, annulled_at=None
    ).first()
    if enrolment is None:
        raise errors.NotInClass("该培训券未在本平台的此课程报名")
    return await Voucher.get(id=enrolment.voucher_id).select_related("batch__region")


async def studied(voucher_id: int, course: OnlineCourse) -> dict[str, int]:
    rows = (
        await StudyReport.filter(voucher_id=voucher_id, training_class_id=course.training_class_id)
        .annotate(total=Sum("minutes"))
        .group_by("unit")
        .values("unit", "total")
    )
    return {r["unit"]: int(r["total"]) for r in sorted(rows, key=lambda r: r["unit"])}


def _digest(voucher: Voucher, course: OnlineCourse, unit: str, count: int) -> str:
    said = orjson.dumps([voucher.code, course.code, unit, count])
    return hashlib.sha256(said).hexdigest()


async def report_progress(caller: PlatformCaller, spec: ProgressSpec, now: datetime) -> Progress:
    course = await course_of(caller, spec.course)
    voucher = await enrolled_voucher(caller, spec.voucher, course)
    count = minutes(spec.hours)
    digest = _digest(voucher, course, spec.unit, count)
    earlier = await StudyReport.get_or_none(platform_id=caller.platform.id, report_id=spec.report_id)
    if earlier is None:
        if voucher.status != VoucherStatus.ENROLLED:
            raise errors.StudyClosed()
        try:
            await StudyReport.create(
                platform_id=caller.platform.id,
                report_id=spec.report_id,
                voucher_id=voucher.id,
                training_class_id=course.training_class_id,
                unit=spec.unit,
                minutes=count,
                digest=digest,
                reported_at=now,
            )
        except IntegrityError:
            # The same report at the same moment (a retry that overtook the first): one row.
            earlier = await StudyReport.get(platform_id=caller.platform.id, report_id=spec.report_id)
    if earlier is not None and earlier.digest != digest:
        raise errors.ReportIdReused()
    return Progress(voucher.code, course, await studied(voucher.id, course), repeated=earlier is not None)


async def progress_of(caller: PlatformCaller, voucher_code: str, course_code: str) -> Progress:
    course = await course_of(caller, course_code)
    voucher = await enrolled_voucher(caller, voucher_code, course)
    return Progress(voucher.code, course, await studied(voucher.id, course))
