"""The institution's teaching sites, classes and lessons (/api/v1/institution/sites, /classes)."""

from __future__ import annotations

from datetime import date, datetime

from aiohttp import web
from pydantic import BaseModel, Field

from miniapp_api.endpoint import endpoint, path_int
from models import Lesson, Staff, TeachingSite, TrainingClass
from vouchers.catalogue.signup_lists import waiting_counts
from vouchers.institutions import teaching as manage
from vouchers.institutions.site_distance import site_distance
from vouchers.institutions.spec import ClassSpec, LessonSpec, PointSpec, SiteSpec
from vouchers.institutions.teaching_edits import update_class, update_lesson, update_site

TAG = "institution"
ID = r"{%s:\d{1,9}}"


class SiteOut(BaseModel):
    id: int
    name: str
    address: str
    latitude: float
    longitude: float
    datum: str
    radius_m: int

    @classmethod
    def of(cls, s: TeachingSite) -> SiteOut:
        return cls(
            id=s.id,
            name=s.name,
            address=s.address,
            latitude=s.latitude,
            longitude=s.longitude,
            datum=s.datum,
            radius_m=s.radius_m,
        )


class SiteList(BaseModel):
    items: list[SiteOut]


class ClassOut(BaseModel):
    id: int
    name: str
    project_type: str
    occupation: str | None
    start_date: date
    end_date: date
    site_ids: list[int]
    capacity: int
    enrolled: int
    hold_places_for_signups: bool
    signups_waiting: int = Field(0, description="Pending sign-ups waiting for the registration scan or a decline")

    @classmethod
    def of(cls, c: TrainingClass, signups_waiting: int = 0) -> ClassOut:
        return cls(
            id=c.id,
            name=c.name,
            project_type=c.project_type,
            occupation=c.occupation,
            start_date=c.start_date,
            end_date=c.end_date,
            site_ids=c.site_ids,
            capacity=c.capacity,
            enrolled=c.enrolled,
            hold_places_for_signups=c.hold_places_for_signups,
            signups_waiting=signups_waiting,
        )


class ClassList(BaseModel):
    items: list[ClassOut]


class LessonOut(BaseModel):
    id: int
    class_id: int
    starts_at: datetime
    ends_at: datetime
    checkin_opens_at: datetime
    checkin_closes_at: datetime

    @classmethod
    def of(cls, lesson: Lesson) -> LessonOut:
        return cls(
            id=lesson.id,
            class_id=lesson.training_class_id,
            starts_at=lesson.starts_at,
            ends_at=lesson.ends_at,
            checkin_opens_at=lesson.checkin_opens_at,
            checkin_closes_at=lesson.checkin_closes_at,
        )


class LessonList(BaseModel):
    items: list[LessonOut]


@endpoint("GET", "/api/v1/institution/sites", summary="Teaching sites", tag=TAG, auth="staff", response=SiteList)
async def list_sites(request: web.Request, staff: Staff) -> SiteList:
    return SiteList(items=[SiteOut.of(s) for s in await manage.list_sites(staff)])


@endpoint(
    "POST",
    "/api/v1/institution/sites",
    summary="Add a teaching site",
    tag=TAG,
    auth="staff",
    body=SiteSpec,
    response=SiteOut,
    status=201,
)
async def add_site(request: web.Request, staff: Staff, body: SiteSpec) -> SiteOut:
    return SiteOut.of(await manage.add_site(staff, body))


@endpoint("GET", "/api/v1/institution/classes", summary="Training classes", tag=TAG, auth="staff", response=ClassList)
async def list_classes(request: web.Request, staff: Staff) -> ClassList:
    waiting = await waiting_counts(staff)
    return ClassList(items=[ClassOut.of(c, waiting.get(c.id, 0)) for c in await manage.list_classes(staff)])


@endpoint(
    "POST",
    "/api/v1/institution/classes",
    summary="Add a training class",
    tag=TAG,
    auth="staff",
    body=ClassSpec,
    response=ClassOut,
    status=201,
)
async def add_class(request: web.Request, staff: Staff, body: ClassSpec) -> ClassOut:
    return ClassOut.of(await manage.add_class(staff, body))


CLASS_ITEM = "/api/v1/institution/classes/" + ID % "class_id"


@endpoint("GET", CLASS_ITEM, summary="One training class", tag=TAG, auth="staff", response=ClassOut)
async def get_class(request: web.Request, staff: Staff) -> ClassOut:
    return ClassOut.of(await manage.get_class(staff, path_int(request, "class_id")))


@endpoint("GET", CLASS_ITEM + "/lessons", summary="Lessons of a class", tag=TAG, auth="staff", response=LessonList)
async def list_lessons(request: web.Request, staff: Staff) -> LessonList:
    return LessonList(items=[LessonOut.of(x) for x in await manage.list_lessons(staff, path_int(request, "class_id"))])


@endpoint(
    "POST",
    CLASS_ITEM + "/lessons",
    summary="Add a lesson with its check-in window",
    tag=TAG,
    auth="staff",
    body=LessonSpec,
    response=LessonOut,
    status=201,
)
async def add_lesson(request: web.Request, staff: Staff, body: LessonSpec) -> LessonOut:
    return LessonOut.of(await manage.add_lesson(staff, path_int(request, "class_id"), body))


SITE_ITEM = "/api/v1/institution/sites/" + ID % "site_id"


class DistanceOut(BaseModel):
    distance_m: float
    radius_m: int
    inside: bool


@endpoint("PUT", SITE_ITEM, summary="Edit a teaching site", tag=TAG, auth="staff", body=SiteSpec, response=SiteOut)
async def edit_site(request: web.Request, staff: Staff, body: SiteSpec) -> SiteOut:
    return SiteOut.of(await update_site(staff, path_int(request, "site_id"), body))


@endpoint(
    "POST",
    SITE_ITEM + "/distance",
    summary="How far a point is from the site (测距)",
    tag=TAG,
    auth="staff",
    body=PointSpec,
    response=DistanceOut,
)
async def measure(request: web.Request, staff: Staff, body: PointSpec) -> DistanceOut:
    found = await site_distance(staff, path_int(request, "site_id"), body)
    return DistanceOut(distance_m=found.distance_m, radius_m=found.radius_m, inside=found.inside)


@endpoint("PUT", CLASS_ITEM, summary="Edit a training class", tag=TAG, auth="staff", body=ClassSpec, response=ClassOut)
async def edit_class(request: web.Request, staff: Staff, body: ClassSpec) -> ClassOut:
    return ClassOut.of(await update_class(staff, path_int(request, "class_id"), body))


@endpoint(
    "PUT",
    CLASS_ITEM + "/lessons/" + ID % "lesson_id",
    summary="Edit a lesson and its check-in window",
    tag=TAG,
    auth="staff",
    body=LessonSpec,
    response=LessonOut,
)
async def edit_lesson(request: web.Request, staff: Staff, body: LessonSpec) -> LessonOut:
    lesson = await update_lesson(staff, path_int(request, "class_id"), path_int(request, "lesson_id"), body)
    return LessonOut.of(lesson)
