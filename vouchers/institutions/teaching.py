"""An institution's teaching sites, training classes and lessons. Staff read them; the commissioner
changes them. An institution's people see and change only their own institution."""

from __future__ import annotations

from datetime import datetime

from models import Lesson, Staff, TeachingSite, TrainingClass
from vouchers.common import errors
from vouchers.common.clock import local_days
from vouchers.institutions.spec import ClassSpec, LessonSpec, SiteSpec
from vouchers.institutions.staff_auth import ensure_commissioner


async def add_site(actor: Staff, spec: SiteSpec) -> TeachingSite:
    ensure_commissioner(actor)
    return await TeachingSite.create(institution_id=actor.institution_id, **spec.model_dump())


async def list_sites(actor: Staff) -> list[TeachingSite]:
    return await TeachingSite.filter(institution_id=actor.institution_id).order_by("id")


async def own_sites_data(actor: Staff, spec: ClassSpec) -> dict:
    site_ids = sorted(set(spec.site_ids))
    found = await TeachingSite.filter(institution_id=actor.institution_id, id__in=site_ids).count()
    if found != len(site_ids):
        raise errors.SiteNotFound("教学点不存在或不属于本机构")
    data = spec.model_dump() | {"site_ids": site_ids}
    if data["hold_places_for_signups"] is None:  # left out: as it is (a new class: no)
        del data["hold_places_for_signups"]
    return data


async def add_class(actor: Staff, spec: ClassSpec) -> TrainingClass:
    ensure_commissioner(actor)
    data = await own_sites_data(actor, spec)
    return await TrainingClass.create(institution_id=actor.institution_id, **data)


async def list_classes(actor: Staff) -> list[TrainingClass]:
    return await TrainingClass.filter(institution_id=actor.institution_id).order_by("-start_date", "-id")


async def get_class(actor: Staff, class_id: int) -> TrainingClass:
    found = await TrainingClass.get_or_none(id=class_id, institution_id=actor.institution_id)
    if found is None:
        raise errors.ClassNotFound()
    return found


def within_class(training_class: TrainingClass, starts_at: datetime, ends_at: datetime) -> None:
    # A lesson outside the class's dates would be checked into and counted in the archive.
    first, last = training_class.start_date, training_class.end_date
    opens, closes = local_days(first, last)
    if starts_at < opens or ends_at > closes:
        raise errors.LessonOutsideClass(f"课次时间须在培训班的开班日期 {first} 至结束日期 {last} 之内")


async def add_lesson(actor: Staff, class_id: int, spec: LessonSpec) -> Lesson:
    ensure_commissioner(actor)
    training_class = await get_class(actor, class_id)
    within_class(training_class, spec.starts_at, spec.ends_at)
    return await Lesson.create(training_class=training_class, **spec.model_dump())


async def list_lessons(actor: Staff, class_id: int) -> list[Lesson]:
    training_class = await get_class(actor, class_id)
    return await Lesson.filter(training_class_id=training_class.id).order_by("starts_at", "id")
