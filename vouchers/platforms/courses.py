"""A platform's courses: each is a training class of the platform's institution, named by the
platform's own course code. The platform declares a course (PUT: create, or change it) within the
scope the bureau allows it."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models import OnlineCourse, OnlinePlatform, TrainingClass
from vouchers.common import errors
from vouchers.platforms.auth import PlatformCaller
from vouchers.platforms.spec import CourseSpec


def takes(platform: OnlinePlatform, project_type: str, occupation: str | None) -> bool:
    """Within the bureau's scope: an allowed project type and, where occupations are listed, one
    of them (a course without an occupation then is not)."""
    if project_type not in platform.project_types:
        return False
    return not platform.occupations or occupation in platform.occupations


def check_takes(platform: OnlinePlatform, training_class: TrainingClass) -> None:
    if not takes(platform, training_class.project_type, training_class.occupation):
        raise errors.PlatformOutOfScope()


@dataclass(frozen=True)
class Declared:
    course: OnlineCourse  # with its training class
    created: bool


def minutes(hours: float) -> int:
    return max(1, round(hours * 60))


async def put_course(caller: PlatformCaller, code: str, spec: CourseSpec) -> Declared:
    if not takes(caller.platform, spec.project_type, spec.occupation):
        raise errors.PlatformOutOfScope()
    existing = await _course(caller, code)
    if existing is None:
        try:
            return Declared(await _create(caller, code, spec), created=True)
        except IntegrityError:
            existing = await _course(caller, code)  # declared at the same moment by a retry
            if existing is None:
                raise
    return Declared(await _update(existing, spec), created=False)


async def _create(caller: PlatformCaller, code: str, spec: CourseSpec) -> OnlineCourse:
    async with in_transaction() as conn:
        training_class = await TrainingClass.create(
            institution=caller.institution,
            name=spec.name,
            project_type=spec.project_type,
            occupation=spec.occupation,
            start_date=spec.start_date,
            end_date=spec.end_date,
            site_ids=[],  # online: no teaching site, no location check-in
            capacity=spec.capacity,
            using_db=conn,
        )
        course = await OnlineCourse.create(
            platform=caller.platform,
            training_class=training_class,
            code=code,
            required_minutes=minutes(spec.required_hours),
            using_db=conn,
        )
    course.training_class = training_class
    return course


async def _update(course: OnlineCourse, spec: CourseSpec) -> OnlineCourse:
    async with in_transaction() as conn:
        # The class's row lock, as an enrolment takes it: the count read here stays true.
        klass = await TrainingClass.select_for_update().using_db(conn).get(id=course.training_class_id)
        changes_what = (spec.project_type, spec.occupation) != (klass.project_type, klass.occupation)
        if changes_what and klass.enrolled > 0:
            raise errors.CourseLocked()
        if spec.capacity < klass.enrolled:
            raise errors.CapacityBelowEnrolled()
        klass.name, klass.project_type, klass.occupation = spec.name, spec.project_type, spec.occupation
        klass.start_date, klass.end_date, klass.capacity = spec.start_date, spec.end_date, spec.capacity
        await klass.save(using_db=conn)
        course.required_minutes = minutes(spec.required_hours)
        await course.save(using_db=conn, update_fields=["required_minutes"])
    course.training_class = klass
    return course


async def _course(caller: PlatformCaller, code: str) -> OnlineCourse | None:
    return await OnlineCourse.get_or_none(platform_id=caller.platform.id, code=code).select_related("training_class")


async def course_of(caller: PlatformCaller, code: str) -> OnlineCourse:
    course = await _course(caller, code)
    if course is None:
        raise errors.CourseNotFound()
    return course


async def list_courses(caller: PlatformCaller, limit: int, offset: int) -> list[OnlineCourse]:
    query = OnlineCourse.filter(platform_id=caller.platform.id).order_by("id").offset(offset).limit(limit)
    return await query.select_related("training_class")
