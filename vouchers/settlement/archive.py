"""The lifelong training archive (终身职业技能培训档案) of one person: vouchers, classes with
their attendance, and every certificate from an approved assessment. The trainee reads their
own; a bureau looks a person up by ID number (`archive_lookup`). Lessons dated outside their
class's dates are not counted (issue 17)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from models import Attendance, Certificate, ChannelAccount, Enrolment, Lesson, Person, Voucher
from vouchers.claiming.wallet import effective_status
from vouchers.common import errors
from vouchers.common.clock import utcnow
from vouchers.common.personal_data import PersonalDataKeys, mask_id_number
from vouchers.scanning.summary import mask_name
from vouchers.services import Services
from vouchers.settlement.attendance import class_window


@dataclass
class ClassEntry:
    class_id: int
    class_name: str
    institution: str
    project_type: str
    occupation: str | None
    start_date: str
    end_date: str
    voucher_code: str
    lessons: int
    attended: int
    enrolled_at: datetime


@dataclass
class Archive:
    holder_name: str  # masked
    id_number: str  # masked
    vouchers: list[dict] = field(default_factory=list)
    classes: list[ClassEntry] = field(default_factory=list)
    certificates: list[Certificate] = field(default_factory=list)


async def archive_of(keys: PersonalDataKeys, person: Person) -> Archive:
    now = utcnow()
    archive = Archive(
        holder_name=mask_name(keys.decrypt(person.name_cipher, b"name")),
        id_number=mask_id_number(keys.decrypt(person.id_cipher, b"id")),
    )
    vouchers = await Voucher.filter(person_id=person.id).order_by("-claimed_at").prefetch_related("batch")
    archive.vouchers = [
        {
            "code": v.code,
            "title": v.batch.title,
            "status": str(effective_status(v, now)),
            "claimed_at": v.claimed_at,
            "used_at": v.used_at,
        }
        for v in vouchers
    ]
    by_id = {v.id: v for v in vouchers}
    enrolments = (
        await Enrolment.filter(voucher_id__in=list(by_id), annulled_at=None)
        .order_by("-enrolled_at")
        .prefetch_related("training_class__institution")
    )
    # Only lessons dated within their class's dates count, and attendance at them.
    windows = {e.training_class_id: class_window(e.training_class) for e in enrolments}
    lessons: dict[int, int] = {}
    counted: set[int] = set()
    for lesson_id, class_id, starts_at in await Lesson.filter(training_class_id__in=list(windows)).values_list(
        "id", "training_class_id", "starts_at"
    ):
        start, end = windows[class_id]
        if start <= starts_at < end:
            lessons[class_id] = lessons.get(class_id, 0) + 1
            counted.add(lesson_id)
    attended: dict[tuple[int, int], int] = {}
    for voucher_id, class_id in await Attendance.filter(
        voucher_id__in=list(by_id), annulled_at=None, lesson_id__in=list(counted)
    ).values_list("voucher_id", "lesson__training_class_id"):
        attended[(voucher_id, class_id)] = attended.get((voucher_id, class_id), 0) + 1
    for e in enrolments:
        c = e.training_class
        archive.classes.append(
            ClassEntry(
                class_id=c.id,
                class_name=c.name,
                institution=c.institution.name,
                project_type=c.project_type,
                occupation=c.occupation,
                start_date=c.start_date.isoformat(),
                end_date=c.end_date.isoformat(),
                voucher_code=by_id[e.voucher_id].code,
                lessons=lessons.get(c.id, 0),
                attended=attended.get((e.voucher_id, c.id), 0),
                enrolled_at=e.enrolled_at,
            )
        )
    archive.certificates = await Certificate.filter(person_id=person.id).order_by("-issued_at")
    return archive


async def my_archive(svc: Services, account: ChannelAccount) -> Archive:
    if account.person_id is None:
        raise errors.IdentityRequired()
    return await archive_of(svc.keys, await Person.get(id=account.person_id))
