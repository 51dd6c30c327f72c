"""Check-in (签到) at the current lesson of a class the voucher is enrolled in, inside the
lesson's window. Shared by the institution's scan and the trainee's location check-in. A second
check-in at the same lesson answers `already_checked_in`; unique(lesson, voucher) is the guard.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models import Attendance, Enrolment, Lesson, Staff, TrainingClass, Voucher, VoucherStatus
from vouchers import errors
from vouchers.enrol import class_of
from vouchers.institution_spec import ScanSpec
from vouchers.scan_outcome import Outcome, Write
from vouchers.voucher_checks import check_current


async def current_lesson(training_class: TrainingClass, now: datetime, lesson_id: int | None = None) -> Lesson:
    query = Lesson.filter(training_class_id=training_class.id, checkin_opens_at__lte=now, checkin_closes_at__gt=now)
    if lesson_id is not None:
        query = query.filter(id=lesson_id)
    lesson = await query.order_by("-checkin_opens_at").first()
    if lesson is None:
        raise errors.NoLessonNow()
    return lesson


async def check_enrolled(voucher: Voucher, training_class: TrainingClass, now: datetime) -> None:
    check_current(voucher, now)
    enrolled = await Enrolment.exists(voucher_id=voucher.id, training_class_id=training_class.id, annulled_at=None)
    if voucher.status != VoucherStatus.ENROLLED or not enrolled:
        raise errors.NotEnrolled()


async def attend(
    conn: Any, lesson: Lesson, voucher: Voucher, method: str, now: datetime, location_checkin_id: int | None = None
) -> tuple[Attendance, bool]:
    """The attendance row and whether it is new. A concurrent duplicate makes the insert fail
    (unique(lesson, voucher)); the caller retries and then finds it."""
    found = await Attendance.get_or_none(lesson_id=lesson.id, voucher_id=voucher.id).using_db(conn)
    if found is not None and found.annulled_at is None:
        return found, False
    if found is not None:  # annulled earlier: present again
        found.annulled_at = None
        found.method = method
        found.checked_in_at = now
        found.location_checkin_id = location_checkin_id
        await found.save(using_db=conn, update_fields=["annulled_at", "method", "checked_in_at", "location_checkin_id"])
        return found, True
    row = await Attendance.create(
        lesson_id=lesson.id,
        voucher_id=voucher.id,
        method=method,
        checked_in_at=now,
        location_checkin_id=location_checkin_id,
        using_db=conn,
    )
    return row, True


async def checkin_by_scan(staff: Staff, spec: ScanSpec, voucher: Voucher, now: datetime) -> Write:
    training_class = await class_of(staff, spec.class_id)
    await check_enrolled(voucher, training_class, now)
    lesson = await current_lesson(training_class, now, spec.lesson_id)

    async def write(conn: Any) -> Outcome:
        row, new = await attend(conn, lesson, voucher, "scan", now)
        if not new:
            return Outcome(
                reason="already_checked_in",
                message="该学员本节课已签到",
                class_id=training_class.id,
                lesson_id=lesson.id,
                extra={"checked_in_at": row.checked_in_at.isoformat()},
            )
        return Outcome(
            message="签到成功",
            class_id=training_class.id,
            lesson_id=lesson.id,
            extra={"checked_in_at": now.isoformat()},
            links=[row],
        )

    return write
