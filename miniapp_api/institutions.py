"""Institution API: the bureau's registry (/api/v1/admin/institutions) and what an institution's
own people do (/api/v1/institution/...): log in, manage staff, sites, classes and lessons."""

from __future__ import annotations

from dataclasses import asdict

from aiohttp import web
from pydantic import BaseModel, Field

from miniapp_api.endpoint import endpoint, path_int
from miniapp_api.evaluations import SummaryOut
from miniapp_api.schemas import LoggedOut, LoginRequest, Page
from models import BureauUser, Institution, Staff
from peixunquan.appkeys import SERVICES
from vouchers.common.personal_data import PersonalDataKeys, mask_id_number
from vouchers.identity.bureau_roles import Permission
from vouchers.institutions import registry as manage
from vouchers.institutions import registry_edits
from vouchers.institutions.overview import institution_overview
from vouchers.institutions.registry_edits import InstitutionEdit, SuspendRequest
from vouchers.institutions.spec import InstitutionSpec
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
    region_name: str = ""
    suspended: bool = False
    suspended_reason: str | None = None

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
            region_name=getattr(i.region, "name", ""),
            suspended=i.suspended_at is not None,
            suspended_reason=i.suspended_reason,
        )


class InstitutionQuery(Page):
    q: str | None = Field(None, max_length=100, description="Part of the name, or the code's first digits")
    suspended: bool | None = None


class InstitutionList(BaseModel):
    items: list[InstitutionOut]


class MeOut(BaseModel):
    """The member logged in, for the portal's header and what it shows them."""

    staff_id: int
    username: str
    display_name: str
    role: str
    institution_id: int
    institution_name: str


class StaffLoginResponse(BaseModel):
    token: str
    expires_in: int
    institution_id: int
    institution_name: str
    role: str


# --- the bureau's registry ---------------------------------------------------------------------


@endpoint(
    "POST",
    "/api/v1/admin/institutions",
    summary="Register a training institution with its commissioner",
    tag=TAG,
    auth="bureau",
    permission=Permission.REGISTRY,
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
    query=InstitutionQuery,
    response=InstitutionList,
)
async def list_institutions(request: web.Request, user: BureauUser, query: InstitutionQuery) -> InstitutionList:
    keys = request.app[SERVICES].keys
    found = await manage.list_institutions(user, query.limit, query.offset, query.q, query.suspended)
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


@endpoint("GET", "/api/v1/institution/me", summary="The staff member logged in", tag=TAG, auth="staff", response=MeOut)
async def me(request: web.Request, staff: Staff) -> MeOut:
    await staff.fetch_related("institution")
    return MeOut(
        staff_id=staff.id,
        username=staff.username,
        display_name=staff.display_name,
        role=staff.role,
        institution_id=staff.institution_id,
        institution_name=staff.institution.name,
    )


INSTITUTION = "/api/v1/admin/institutions/" + ID % "institution_id"


@endpoint(
    "PUT",
    INSTITUTION,
    summary="Correct an institution's details or record a new commissioner",
    tag=TAG,
    auth="bureau",
    permission=Permission.REGISTRY,
    body=InstitutionEdit,
    response=InstitutionOut,
)
async def edit_institution(request: web.Request, user: BureauUser, body: InstitutionEdit) -> InstitutionOut:
    svc = request.app[SERVICES]
    found = await registry_edits.edit_institution(svc, user, path_int(request, "institution_id"), body)
    return InstitutionOut.of(found, svc.keys)


@endpoint(
    "POST",
    INSTITUTION + "/suspend",
    summary="Suspend an institution: its staff are logged out and cannot log in or scan",
    tag=TAG,
    auth="bureau",
    permission=Permission.REGISTRY,
    body=SuspendRequest,
    response=InstitutionOut,
)
async def suspend(request: web.Request, user: BureauUser, body: SuspendRequest) -> InstitutionOut:
    svc = request.app[SERVICES]
    found = await registry_edits.suspend_institution(svc, user, path_int(request, "institution_id"), body.reason)
    return InstitutionOut.of(found, svc.keys)


@endpoint(
    "POST",
    INSTITUTION + "/resume",
    summary="Lift an institution's suspension",
    tag=TAG,
    auth="bureau",
    permission=Permission.REGISTRY,
    response=InstitutionOut,
)
async def resume(request: web.Request, user: BureauUser) -> InstitutionOut:
    svc = request.app[SERVICES]
    found = await registry_edits.resume_institution(svc, user, path_int(request, "institution_id"))
    return InstitutionOut.of(found, svc.keys)


class ClassLineOut(BaseModel):
    id: int
    name: str
    project_type: str
    occupation: str | None
    start_date: str
    end_date: str
    enrolled: int
    capacity: int


class OverviewOut(BaseModel):
    classes: list[ClassLineOut]
    trainees: int
    claims: dict[str, int]
    subsidy_fen: dict[str, int]
    evaluation: SummaryOut  # what its trainees said (培训评价), aggregated
    signups: int = Field(description="Sign-ups (报名) trainees made online for its classes")
    signups_pending: int = Field(description="Of them, waiting for the registration scan now")


@endpoint(
    "GET",
    INSTITUTION + "/overview",
    summary="An institution at a glance: classes, trainees, settlement claims",
    tag=TAG,
    auth="bureau",
    response=OverviewOut,
)
async def overview(request: web.Request, user: BureauUser) -> OverviewOut:
    found = await institution_overview(user, path_int(request, "institution_id"))
    return OverviewOut(
        classes=[ClassLineOut(**asdict(c)) for c in found.classes],
        trainees=found.trainees,
        claims=found.claims,
        subsidy_fen=found.subsidy_fen,
        evaluation=SummaryOut.of(found.evaluation),
        signups=found.signups,
        signups_pending=found.signups_pending,
    )
