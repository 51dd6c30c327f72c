"""The commissioner edits a teaching site, a class or a lesson. What has happened stays as it was:
a check-in keeps the distance and radius it was judged by; a class keeps its enrolments, so its
capacity cannot go below them, and its dates must still hold every lesson it has."""

from __future__ import annotations

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models import Lesson, Staff, TeachingSite, TrainingClass
from vouchers.common import errors
from vouchers.common.clock import local_days
from vouchers.institutions.spec import ClassSpec, LessonSpec, SiteSpec
from vouchers.institutions.staff_auth import ensure_commissioner
from vouchers.institutions.teaching import own_sites_data, within_class


async def update_site(actor: Staff, site_id: int, spec: SiteSpec) -> TeachingSite:
    ensure_commissioner(actor)
    site = await own_site(actor, site_id)
    site.update_from_dict(spec.model_dump())
    await site.save()
    return site


async def own_site(actor: Staff, site_id: int) -> TeachingSite:
    site = await TeachingSite.get_or_none(id=site_id, institution_id=actor.institution_id)
    if site is None:
        raise errors.SiteNotFound("教学点不存在或不属于本机构")
    return site


async def update_class(actor: Staff, class_id: int, spec: ClassSpec) -> TrainingClass:
    ensure_commissioner(actor)
    data = await own_sites_data(actor, spec)
    async with in_transaction() as conn:
        # The row lock the scan's enrolment takes too: the count read here stays true.
        training_class = (
            await TrainingClass.select_for_update()
            .using_db(conn)
            .get_or_none(id=class_id, institution_id=actor.institution_id)
        )
        if training_class is None:
            raise errors.ClassNotFound()
        if spec.capacity < training_class.enrolled:
            raise errors.CapacityBelowEnrolled(f"已有 {training_class.enrolled} 人报名，人数上限不能小于报名人数")
        opens, closes = local_days(spec.start_date, spec.end_date)
        lessons = Lesson.filter(training_class_id=class_id).using_db(conn)
        outside = await lessons.filter(Q(starts_at__lt=opens) | Q(ends_at__gt=closes)).count()
        if outside:
            raise errors.LessonOutsideClass(f"有 {outside} 次课在新的日期之外，请先修改这些课次")
        training_class.update_from_dict(data)
        await training_class.save(using_db=conn)
    return training_class


async def update_lesson(actor: Staff, class_id: int, lesson_id: int, spec: LessonSpec) -> Lesson:
    ensure_commissioner(actor)
    training_class = await TrainingClass.get_or_none(id=class_id, institution_id=actor.institution_id)
    if training_class is None:
        raise errors.ClassNotFound()
    lesson = await Lesson.get_or_none(id=lesson_id, training_class_id=class_id)
    if lesson is None:
        raise errors.LessonNotFound()
    within_class(training_class, spec.starts_at, spec.ends_at)
    lesson.update_from_dict(spec.model_dump())
    await lesson.save()
    return lesson
