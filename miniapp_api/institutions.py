"""Institution API: the bureau's registry (/api/v1/admin/institutions) and what an institution's
own people do (/api/v1/institution/...): log in, manage staff, sites, classes and lessons."""

from __future__ import annotations

from datetime import date, datetime

from aiohttp import web
from pydantic import BaseModel

from miniapp_api.endpoint import endpoint, path_int
from miniapp_api.schemas import LoggedOut, LoginRequest, Page
from models import BureauUser, Institution, Lesson, Staff, TeachingSite, TrainingClass
from peixunquan.appkeys import SERVICES
from vouchers.common.personal_data import PersonalDataKeys, mask_id_number
from vouchers.institutions import registry as manage
from vouchers.institutions.spec import ClassSpec, InstitutionSpec, LessonSpec, SiteSpec, StaffSpec
from vouchers.institutions.staff_auth import staff_login, staff_logout
from vouchers.scanning.summary import mask_name

TAG = "institution"
ID = r"{%s:\d{1,9}}"


class CommissionerOut(BaseModel):
    username: str
    name: str  # masked
    id_number: str  # masked


class InstitutionOut(BaseModel):
    id: int
    code: str
    name: str
    region: str
    address: str
    phone: str
    kind: str
    commissioner: CommissionerOut | None

    @classmethod
    def of(cls, i: Institution, keys: PersonalDataKeys) -> InstitutionOut:
        c = manage.commissioner_of(i)
        commissioner = None
        if c is not None and c.name_cipher and c.id_cipher:
            commissioner = CommissionerOut(
                username=c.username,
                name=mask_name(keys.decrypt(c.name_cipher, b"name")),
                id_number=mask_id_number(keys.decrypt(c.id_cipher, b"id")),
            )
        return cls(
            id=i.id,
            code=i.code,
            name=i.name,
            region=i.region_id,
            address=i.address,
            phone=i.phone,
            kind=i.kind,
            commissioner=commissioner,
        )


class InstitutionList(BaseModel):
    items: list[InstitutionOut]


class StaffLoginResponse(BaseModel):
    token: str
    expires_in: int
    institution_id: int
    institution_name: str
    role: str


class StaffOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    active: bool

    @classmethod
    def of(cls, s: Staff) -> StaffOut:
        return cls(id=s.id, username=s.username, display_name=s.display_name, role=s.role, active=s.active)


class StaffList(BaseModel):
    items: list[StaffOut]


class SiteOut(BaseModel):
    id: int
    name: str
    latitude: float
    longitude: float
    datum: str
    radius_m: int

    @classmethod
    def of(cls, s: TeachingSite) -> SiteOut:
        return cls(id=s.id, name=s.name, latitude=s.latitude, longitude=s.longitude, datum=s.datum, radius_m=s.radius_m)


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

    @classmethod
    def of(cls, c: TrainingClass) -> ClassOut:
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


# --- the bureau's registry ---------------------------------------------------------------------


@endpoint(
    "POST",
    "/api/v1/admin/institutions",
    summary="Register a training institution with its commissioner",
    tag=TAG,
    auth="bureau",
    body=InstitutionSpec,
    response=InstitutionOut,
    status=201,
)
async def register(request: web.Request, user: BureauUser, body: InstitutionSpec) -> InstitutionOut:
    svc = request.app[SERVICES]
    return InstitutionOut.of(await manage.register_institution(svc, user, body), svc.keys)


@endpoint(
    "GET",
    "/api/v1/admin/institutions",
    summary="Institutions of my region and below",
    tag=TAG,
    auth="bureau",
    query=Page,
    response=InstitutionList,
)
async def list_institutions(request: web.Request, user: BureauUser, query: Page) -> InstitutionList:
    keys = request.app[SERVICES].keys
    found = await manage.list_institutions(user, query.limit, query.offset)
    return InstitutionList(items=[InstitutionOut.of(i, keys) for i in found])


@endpoint(
    "GET",
    "/api/v1/admin/institutions/" + ID % "institution_id",
    summary="One institution",
    tag=TAG,
    auth="bureau",
    response=InstitutionOut,
)
async def get_institution(request: web.Request, user: BureauUser) -> InstitutionOut:
    institution = await manage.get_institution(user, path_int(request, "institution_id"))
    return InstitutionOut.of(institution, request.app[SERVICES].keys)


# --- the institution's own people --------------------------------------------------------------


@endpoint(
    "POST",
    "/api/v1/institution/login",
    summary="Institution staff login",
    tag=TAG,
    body=LoginRequest,
    response=StaffLoginResponse,
)
async def login(request: web.Request, body: LoginRequest) -> StaffLoginResponse:
    svc = request.app[SERVICES]
    staff, token = await staff_login(svc, body.username, body.password, request.remote or "")
    return StaffLoginResponse(
        token=token,
        expires_in=svc.staff_token_ttl_s,
        institution_id=staff.institution_id,
        institution_name=staff.institution.name,
        role=staff.role,
    )


@endpoint(
    "POST",
    "/api/v1/institution/logout",
    summary="Log out: every token of this staff member stops working",
    tag=TAG,
    auth="staff",
    response=LoggedOut,
)
async def logout(request: web.Request, staff: Staff) -> LoggedOut:
    await staff_logout(staff)
    return LoggedOut()


@endpoint(
    "GET", "/api/v1/institution/staff", summary="Staff of my institution", tag=TAG, auth="staff", response=StaffList
)
async def list_staff(request: web.Request, staff: Staff) -> StaffList:
    return StaffList(items=[StaffOut.of(s) for s in await manage.list_staff(staff)])


@endpoint(
    "POST",
    "/api/v1/institution/staff",
    summary="Add a scanning staff member (commissioner)",
    tag=TAG,
    auth="staff",
    body=StaffSpec,
    response=StaffOut,
    status=201,
)
async def add_staff(request: web.Request, staff: Staff, body: StaffSpec) -> StaffOut:
    return StaffOut.of(await manage.add_staff(staff, body))


STAFF_ITEM = "/api/v1/institution/staff/" + ID % "staff_id"


@endpoint("POST", STAFF_ITEM + "/disable", summary="Disable a staff member", tag=TAG, auth="staff", response=StaffOut)
async def disable_staff(request: web.Request, staff: Staff) -> StaffOut:
    return StaffOut.of(await manage.set_staff_active(staff, path_int(request, "staff_id"), False))


@endpoint("POST", STAFF_ITEM + "/enable", summary="Enable a staff member", tag=TAG, auth="staff", response=StaffOut)
async def enable_staff(request: web.Request, staff: Staff) -> StaffOut:
    return StaffOut.of(await manage.set_staff_active(staff, path_int(request, "staff_id"), True))


@endpoint("DELETE", STAFF_ITEM, summary="Remove a staff member", tag=TAG, auth="staff", response=StaffOut)
async def remove_staff(request: web.Request, staff: Staff) -> StaffOut:
    return StaffOut.of(await manage.remove_staff(staff, path_int(request, "staff_id")))


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
    return ClassList(items=[ClassOut.of(c) for c in await manage.list_classes(staff)])


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
