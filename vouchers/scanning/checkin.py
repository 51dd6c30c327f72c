"""Check-in (签到) at the current lesson of a class the voucher is enrolled in, inside the
lesson's window. Shared by the institution's scan and the trainee's location check-in. A second
check-in at the same lesson answers `already_checked_in`; unique(lesson, voucher) is the guard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models import Attendance, Lesson, TrainingClass, Voucher, VoucherStatus
from models.sql.scan_rows import Scanner, ScanRead
from vouchers.common import errors
from vouchers.common.clock import local_days
from vouchers.institutions.spec import ScanSpec
from vouchers.scanning.checks import check_current
from vouchers.scanning.outcome import Const, Outcome, Write


async def current_lesson(training_class: TrainingClass, now: datetime, lesson_id: int | None = None) -> Lesson:
    """The class's lesson open for check-in now; one dated outside the class's dates never is."""
    first, last = local_days(training_class.start_date, training_class.end_date)
    query = Lesson.filter(
        training_class_id=training_class.id,
        checkin_opens_at__lte=now,
        checkin_closes_at__gt=now,
        starts_at__gte=first,
        starts_at__lt=last,
    )
    if lesson_id is not None:
        query = query.filter(id=lesson_id)
    lesson = await query.order_by("-checkin_opens_at").first()
    if lesson is None:
        raise errors.NoLessonNow()
    return lesson


async def attend(
    conn: Any, lesson: Lesson, voucher: Voucher, method: str, now: datetime, location_checkin_id: int | None = None
) -> tuple[Attendance, bool]:
    """The attendance row and whether it is new. A concurrent duplicate makes the insert fail
    (unique(lesson, voucher)); the caller retries and then finds it."""
    return await _attend(conn, lesson.id, voucher.id, method, now, location_checkin_id)


async def _attend(
    conn: Any, lesson_id: int, voucher_id: int, method: str, now: datetime, location_checkin_id: int | None = None
) -> tuple[Attendance, bool]:
    found = await Attendance.get_or_none(lesson_id=lesson_id, voucher_id=voucher_id).using_db(conn)
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
        lesson_id=lesson_id,
        voucher_id=voucher_id,
        method=method,
        checked_in_at=now,
        location_checkin_id=location_checkin_id,
        using_db=conn,
    )
    return row, True


def _already(class_id: int, lesson_id: int, checked_in_at: datetime) -> Outcome:
    return Outcome(
        reason="already_checked_in",
        message="该学员本节课已签到",
        class_id=class_id,
        lesson_id=lesson_id,
        extra={"checked_in_at": checked_in_at.isoformat()},
    )


@dataclass(frozen=True)
class ScanCheckin:
    """Writes a check-in by scan. The scan call may instead write a first check-in (no row
    seen at the lesson) together with its record in one statement (`first` and `outcome`)."""

    class_id: int
    lesson_id: int
    voucher_id: int
    now: datetime
    first: bool

    def outcome(self) -> Outcome:
        return Outcome(
            message="签到成功",
            class_id=self.class_id,
            lesson_id=self.lesson_id,
            extra={"checked_in_at": self.now.isoformat()},
        )

    async def __call__(self, conn: Any) -> Outcome:
        row, new = await _attend(conn, self.lesson_id, self.voucher_id, "scan", self.now)
        if not new:
            return _already(self.class_id, self.lesson_id, row.checked_in_at)
        outcome = self.outcome()
        outcome.links.append(row)
        return outcome


def checkin_by_scan(staff: Scanner, spec: ScanSpec, read: ScanRead, now: datetime) -> Write:
    """`read` was made for `spec.class_id` (and `spec.lesson_id`) at the staff's institution."""
    if spec.class_id is None:
        raise errors.ClassRequired()
    if not read.class_found:
        raise errors.ScanClassNotFound()
    voucher = read.voucher
    check_current(voucher, now)
    if voucher.status != VoucherStatus.ENROLLED or not read.enrolled:
        raise errors.NotEnrolled()
    if read.lesson_id is None:
        raise errors.NoLessonNow()
    seen = read.attendance
    if seen is not None and seen["annulled_at"] is None:
        return Const(_already(spec.class_id, read.lesson_id, seen["checked_in_at"]))
    return ScanCheckin(spec.class_id, read.lesson_id, voucher.id, now, first=seen is None)
