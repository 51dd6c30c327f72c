"""Manual check-in (补签): a member checks in an enrolled trainee whose phone died or whose code
would not scan, with a reason, recorded with the member. It is marked `manual` everywhere the
attendance shows (the attendance page and sheet, the voucher's history, the statistics, the
bureau's settlement review), so a reviewer can weigh it.

When: not before the lesson starts (nobody is present yet), and at most `MANUAL_DAYS` after it
ends - long enough for a front desk to catch up after a busy week, short enough that attendance
cannot be written up at completion time - and never once the results were submitted (the
voucher is then completed: what settlement was asked for must not change under the reviewer).
"""

from __future__ import annotations

from datetime import timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models import Attendance, Enrolment, Lesson, Staff, TrainingClass, Voucher, VoucherStatus
from vouchers.common import errors
from vouchers.common.clock import local_days, utcnow
from vouchers.common.history import Actor, history_row

MANUAL = "manual"
MANUAL_DAYS = 7


async def manual_checkin(staff: Staff, class_id: int, lesson_id: int, voucher_code: str, reason: str) -> Attendance:
    now = utcnow()
    training_class = await TrainingClass.get_or_none(id=class_id, institution_id=staff.institution_id)
    if training_class is None:
        raise errors.ClassNotFound()
    lesson = await Lesson.get_or_none(id=lesson_id, training_class_id=class_id)
    if lesson is None:
        raise errors.LessonNotFound()
    first, last = local_days(training_class.start_date, training_class.end_date)
    if not first <= lesson.starts_at < last:
        raise errors.LessonOutsideClass()
    if lesson.starts_at > now:
        raise errors.ManualCheckinTooEarly()
    if now > lesson.ends_at + timedelta(days=MANUAL_DAYS):
        raise errors.ManualCheckinTooLate(f"只能在课次结束后 {MANUAL_DAYS} 天内补签")
    try:
        async with in_transaction() as conn:
            voucher = await Voucher.select_for_update().using_db(conn).get_or_none(code=voucher_code)
            enrolled = (
                voucher is not None
                and await Enrolment.filter(voucher_id=voucher.id, training_class_id=class_id, annulled_at=None)
                .using_db(conn)
                .exists()
            )
            if voucher is None or not enrolled:
                raise errors.NotEnrolled("该学员未报名此培训班")
            if voucher.status != VoucherStatus.ENROLLED:
                raise errors.ManualCheckinTooLate("该学员的结业结果已提交，不能再补签")
            found = await Attendance.get_or_none(lesson_id=lesson_id, voucher_id=voucher.id).using_db(conn)
            if found is not None and found.annulled_at is None:
                raise errors.AlreadyCheckedIn()
            fields = {
                "method": MANUAL,
                "checked_in_at": now,
                "manual_reason": reason,
                "manual_by_staff_id": staff.id,
                "location_checkin_id": None,
                "scan_id": None,
            }
            if found is None:
                row = await Attendance.create(lesson_id=lesson_id, voucher_id=voucher.id, **fields, using_db=conn)
            else:  # annulled earlier: present again, by hand
                found.update_from_dict(fields | {"annulled_at": None})
                await found.save(using_db=conn)
                row = found
            detail = {
                "lesson_id": lesson_id,
                "class_id": class_id,
                "reason": reason,
                "staff_id": staff.id,
                "staff": staff.display_name or staff.username,
            }
            await history_row(
                voucher, "manual_checkin", Actor("institution", str(staff.id)), now, str(voucher.status), detail=detail
            ).save(using_db=conn)
    except IntegrityError:
        # A scan of the same trainee at the same lesson won the race (unique(lesson, voucher)).
        raise errors.AlreadyCheckedIn() from None
    return row
