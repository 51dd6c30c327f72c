"""How much of a class a voucher attended: the class's lessons dated within its start and end
dates (local dates, Asia/Shanghai), and the voucher's attendance at them. A lesson outside the
dates (possible before lessons were checked against them) counts for nothing: not in the
archive, not towards completion."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models import Attendance, Lesson, TrainingClass
from vouchers.common.clock import local_days


@dataclass(frozen=True)
class AttendanceShare:
    attended: int
    lessons: int

    @property
    def share(self) -> float:
        return self.attended / self.lessons if self.lessons else 0.0

    def below(self, required: float) -> bool:
        # A small tolerance: 0.7 * 10 is 7.000000000000001 in floating point.
        return self.attended + 1e-9 < required * self.lessons

    def text(self) -> str:
        """For the row report: 出勤率 75%（3/4 节）."""
        return f"出勤率 {percent(self.share)}（{self.attended}/{self.lessons} 节）"


def percent(share: float) -> str:
    return f"{round(share * 100, 1):g}%"


def class_window(training_class: TrainingClass) -> tuple[datetime, datetime]:
    return local_days(training_class.start_date, training_class.end_date)


async def attendance_share(voucher_id: int, training_class: TrainingClass, conn: Any = None) -> AttendanceShare:
    start, end = class_window(training_class)
    lessons = (
        await Lesson.filter(training_class_id=training_class.id, starts_at__gte=start, starts_at__lt=end)
        .using_db(conn)
        .count()
    )
    attended = (
        await Attendance.filter(
            voucher_id=voucher_id,
            annulled_at=None,
            lesson__training_class_id=training_class.id,
            lesson__starts_at__gte=start,
            lesson__starts_at__lt=end,
        )
        .using_db(conn)
        .count()
    )
    return AttendanceShare(attended, lessons)


@dataclass(frozen=True)
class ReviewedAttendance:
    """What a reviewer sees of a claim's attendance: attended of the class's lessons, and how
    many of those were manual check-ins (补签)."""

    attended: int
    lessons: int
    manual: int


async def attendance_for_review(claims: list[tuple[int, TrainingClass]]) -> dict[tuple[int, int], ReviewedAttendance]:
    """For (voucher id, class) pairs, in three queries whatever their number."""
    if not claims:
        return {}
    classes = {c.id: c for _, c in claims}
    lessons: dict[int, set[int]] = {class_id: set() for class_id in classes}
    for lesson_id, class_id, starts_at in await Lesson.filter(training_class_id__in=list(classes)).values_list(
        "id", "training_class_id", "starts_at"
    ):
        start, end = class_window(classes[class_id])
        if start <= starts_at < end:
            lessons[class_id].add(lesson_id)
    every = set().union(*lessons.values())
    rows = await Attendance.filter(
        voucher_id__in=[v for v, _ in claims], lesson_id__in=list(every), annulled_at=None
    ).values_list("voucher_id", "lesson_id", "method")
    out: dict[tuple[int, int], ReviewedAttendance] = {}
    for voucher_id, training_class in claims:
        mine = [m for v, lesson_id, m in rows if v == voucher_id and lesson_id in lessons[training_class.id]]
        out[(voucher_id, training_class.id)] = ReviewedAttendance(
            len(mine), len(lessons[training_class.id]), sum(1 for m in mine if m == "manual")
        )
    return out
