"""Online platform API (/api/v1/platform/...): a qualified online training platform, signing each
request (docs/online-platforms.md), declares its courses, verifies and enrols the vouchers
trainees present, and reports study and completion. `auth="platform"` passes the calling platform."""

from __future__ import annotations

from datetime import date, datetime

from aiohttp import web
from pydantic import BaseModel

from miniapp_api.endpoint import endpoint
from miniapp_api.schemas import Page, Strict
from models import OnlineCourse
from peixunquan.appkeys import SERVICES
from vouchers.claiming.wallet import effective_status
from vouchers.common.clock import utcnow
from vouchers.common.labels import status_label
from vouchers.platforms.auth import PlatformCaller
from vouchers.platforms.completion import report_completion
from vouchers.platforms.courses import list_courses, put_course
from vouchers.platforms.enrol import enrol_online
from vouchers.platforms.progress import Progress, progress_of, report_progress
from vouchers.platforms.spec import (
    CompletionSpec,
    CourseCode,
    CourseSpec,
    EnrolSpec,
    ProgressSpec,
    VerifySpec,
    VoucherCode,
)
from vouchers.platforms.verify import verify_voucher

TAG = "platform"
COURSE = "/api/v1/platform/courses/{course:[A-Za-z0-9_.-]{1,32}}"


def hours(minutes: int) -> float:
    return round(minutes / 60, 2)


class CourseOut(BaseModel):
    code: str
    class_id: int
    name: str
    project_type: str
    occupation: str | None
    start_date: date
    end_date: date
    capacity: int
    enrolled: int
    required_hours: float

    @classmethod
    def of(cls, course: OnlineCourse) -> CourseOut:
        k = course.training_class
        return cls(
            code=course.code,
            class_id=k.id,
            name=k.name,
            project_type=k.project_type,
            occupation=k.occupation,
            start_date=k.start_date,
            end_date=k.end_date,
            capacity=k.capacity,
            enrolled=k.enrolled,
            required_hours=hours(course.required_minutes),
        )


class CourseList(BaseModel):
    items: list[CourseOut]


class VerifyOut(BaseModel):
    voucher_code: str
    status: str
    status_text: str
    title: str
    project_types: list[str]
    occupation: str | None
    valid_until: datetime
    holder_name: str  # masked
    holder_id_number: str  # masked
    usable: bool
    reason: str | None = None  # an error code, when not usable
    message: str | None = None
    enrolled_course: str | None = None  # this platform's course the voucher is enrolled in


class EnrolmentOut(BaseModel):
    enrolment_id: int
    voucher_code: str
    course: str
    class_id: int
    status: str
    enrolled_at: datetime
    repeated: bool  # enrolled by an earlier request: nothing was written


class UnitOut(BaseModel):
    unit: str
    hours: float


class ProgressOut(BaseModel):
    voucher_code: str
    course: str
    units: list[UnitOut]
    studied_hours: float
    required_hours: float
    complete: bool  # the required hours are reached
    repeated: bool = False  # this report id was counted before: nothing was added

    @classmethod
    def of(cls, p: Progress) -> ProgressOut:
        return cls(
            voucher_code=p.voucher_code,
            course=p.course.code,
            units=[UnitOut(unit=u, hours=hours(m)) for u, m in p.units.items()],
            studied_hours=hours(p.minutes),
            required_hours=hours(p.course.required_minutes),
            complete=p.complete,
            repeated=p.repeated,
        )


class ProgressQuery(Strict):
    voucher: VoucherCode
    course: CourseCode


class CompletionOut(BaseModel):
    claim_id: int
    voucher_code: str
    course: str
    passed: bool
    claim_status: str  # pending (in the bureau's queue) or failed (nothing to pay)
    subsidy_fen: int
    studied_hours: float
    repeated: bool


@endpoint(
    "PUT",
    COURSE,
    summary="Declare a course (create it, or change it) within the scope the bureau allows",
    tag=TAG,
    auth="platform",
    body=CourseSpec,
    response=CourseOut,
)
async def declare_course(request: web.Request, platform: PlatformCaller, body: CourseSpec) -> CourseOut:
    declared = await put_course(platform, request.match_info["course"], body)
    return CourseOut.of(declared.course)


@endpoint(
    "GET", "/api/v1/platform/courses", summary="My courses", tag=TAG, auth="platform", query=Page, response=CourseList
)
async def get_courses(request: web.Request, platform: PlatformCaller, query: Page) -> CourseList:
    return CourseList(items=[CourseOut.of(c) for c in await list_courses(platform, query.limit, query.offset)])


@endpoint(
    "POST",
    "/api/v1/platform/vouchers/verify",
    summary="Check the voucher a trainee presents (the rotating code): usable here, and for the course?",
    tag=TAG,
    auth="platform",
    body=VerifySpec,
    response=VerifyOut,
)
async def verify(request: web.Request, platform: PlatformCaller, body: VerifySpec) -> VerifyOut:
    svc, now = request.app[SERVICES], utcnow()
    verdict = await verify_voucher(svc, platform, body.code, body.course, now)
    v = verdict.voucher
    name, id_number = svc.masked_holders.of(v.person.name_cipher, v.person.id_cipher)
    status = effective_status(v, now)
    return VerifyOut(
        voucher_code=v.code,
        status=str(status),
        status_text=status_label(str(status)) or "",
        title=v.batch.title,
        project_types=v.batch.project_types,
        occupation=v.batch.occupation,
        valid_until=v.valid_until,
        holder_name=name,
        holder_id_number=id_number,
        usable=verdict.usable,
        reason=verdict.reason,
        message=verdict.message,
        enrolled_course=verdict.enrolled_course,
    )


@endpoint(
    "POST",
    "/api/v1/platform/enrolments",
    summary="Enrol the voucher a trainee presents into one of my courses (用券)",
    tag=TAG,
    auth="platform",
    body=EnrolSpec,
    response=EnrolmentOut,
)
async def enrol(request: web.Request, platform: PlatformCaller, body: EnrolSpec) -> EnrolmentOut:
    done = await enrol_online(request.app[SERVICES], platform, body.code, body.course, utcnow())
    return EnrolmentOut(
        enrolment_id=done.enrolment.id,
        voucher_code=done.voucher.code,
        course=done.course.code,
        class_id=done.course.training_class_id,
        status=str(done.voucher.status),
        enrolled_at=done.enrolment.enrolled_at,
        repeated=done.repeated,
    )


@endpoint(
    "POST",
    "/api/v1/platform/progress",
    summary="Report study in one unit of a course (adds up; a report id is counted once)",
    tag=TAG,
    auth="platform",
    body=ProgressSpec,
    response=ProgressOut,
)
async def post_progress(request: web.Request, platform: PlatformCaller, body: ProgressSpec) -> ProgressOut:
    return ProgressOut.of(await report_progress(platform, body, utcnow()))


@endpoint(
    "GET",
    "/api/v1/platform/progress",
    summary="A voucher's study in one of my courses",
    tag=TAG,
    auth="platform",
    query=ProgressQuery,
    response=ProgressOut,
)
async def get_progress(request: web.Request, platform: PlatformCaller, query: ProgressQuery) -> ProgressOut:
    return ProgressOut.of(await progress_of(platform, query.voucher, query.course))


@endpoint(
    "POST",
    "/api/v1/platform/completions",
    summary="Report a trainee's completion and assessment result: a settlement claim for the bureau",
    tag=TAG,
    auth="platform",
    body=CompletionSpec,
    response=CompletionOut,
)
async def complete(request: web.Request, platform: PlatformCaller, body: CompletionSpec) -> CompletionOut:
    done = await report_completion(platform, body, utcnow())
    return CompletionOut(
        claim_id=done.claim.id,
        voucher_code=done.voucher.code,
        course=body.course,
        passed=done.claim.passed,
        claim_status=str(done.claim.status),
        subsidy_fen=done.claim.subsidy_fen,
        studied_hours=hours(done.studied_minutes),
        repeated=done.repeated,
    )
