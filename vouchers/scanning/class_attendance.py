"""A class's attendance as the institution sees it: the enrolled trainees (masked), the class's
lessons, and per lesson who checked in and how (scan, location, manual), with counts.

Search by name: names are stored only as AES-GCM text, so there is no index to search. A class
holds a few dozen trainees, so this decrypts the class's names (the process caches the masked
forms anyway) and matches in memory; the full names never leave this function.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from models import Attendance, Enrolment, Lesson, Staff, TrainingClass
from vouchers.common import errors
from vouchers.common.clock import local_days
from vouchers.services import Services

METHODS = {"scan": "扫码", "location": "定位", "manual": "补签"}


@dataclass
class Mark:
    method: str
    at: datetime
    reason: str | None = None
    by: str | None = None  # the member who made a manual check-in


@dataclass
class Trainee:
    voucher_id: int
    voucher_code: str
    name: str  # masked
    id_number: str  # masked
    enrolled_at: datetime
    marks: dict[int, Mark] = field(default_factory=dict)  # lesson id -> mark
    full_name: str = ""  # only for the institution's own sheet
    full_id_number: str = ""

    def attended(self, lesson_ids: list[int]) -> int:
        return sum(1 for lesson_id in lesson_ids if lesson_id in self.marks)


@dataclass
class ClassAttendance:
    training_class: TrainingClass
    lessons: list[Lesson]
    trainees: list[Trainee]

    @property
    def lesson_ids(self) -> list[int]:
        return [lesson.id for lesson in self.lessons]

    def checked_in(self, lesson_id: int) -> int:
        return sum(1 for t in self.trainees if lesson_id in t.marks)


async def class_attendance(
    svc: Services, staff: Staff, class_id: int, name_query: str = "", *, identities: bool = False
) -> ClassAttendance:
    """`identities`: decrypt full names and ID numbers too (the attendance sheet)."""
    training_class = await TrainingClass.get_or_none(id=class_id, institution_id=staff.institution_id)
    if training_class is None:
        raise errors.ClassNotFound()
    first, last = local_days(training_class.start_date, training_class.end_date)
    lessons = await Lesson.filter(training_class_id=class_id, starts_at__gte=first, starts_at__lt=last).order_by(
        "starts_at", "id"
    )
    enrolments = (
        await Enrolment.filter(training_class_id=class_id, annulled_at=None)
        .order_by("enrolled_at", "id")
        .prefetch_related("voucher__person")
    )
    keys, query = svc.keys, name_query.strip()
    trainees: dict[int, Trainee] = {}
    for e in enrolments:
        person = e.voucher.person
        if query and query not in keys.decrypt(person.name_cipher, b"name"):
            continue
        name, id_number = svc.masked_holders.of(person.name_cipher, person.id_cipher)
        trainee = Trainee(e.voucher_id, e.voucher.code, name, id_number, e.enrolled_at)
        if identities:
            trainee.full_name = keys.decrypt(person.name_cipher, b"name")
            trainee.full_id_number = keys.decrypt(person.id_cipher, b"id")
        trainees[e.voucher_id] = trainee
    rows = await Attendance.filter(
        lesson_id__in=[lesson.id for lesson in lessons], voucher_id__in=list(trainees), annulled_at=None
    )
    members = {
        s.id: s.display_name or s.username
        for s in await Staff.filter(id__in={r.manual_by_staff_id for r in rows if r.manual_by_staff_id})
    }
    for r in rows:
        trainees[r.voucher_id].marks[r.lesson_id] = Mark(
            r.method, r.checked_in_at, r.manual_reason, members.get(r.manual_by_staff_id or 0)
        )
    return ClassAttendance(training_class, lessons, list(trainees.values()))
