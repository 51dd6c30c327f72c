"""The institution's own staff (/api/v1/institution/staff): the commissioner lists, adds, disables,
enables, removes scanning staff and resets their passwords; every member changes their own."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel

from miniapp_api.endpoint import endpoint, path_int
from models import Staff
from peixunquan.appkeys import SERVICES
from vouchers.institutions import staff_management as manage
from vouchers.institutions.spec import OwnPasswordSpec, PasswordResetSpec, StaffSpec
from vouchers.institutions.staff_auth import STAFF
from vouchers.institutions.staff_binding import binding_counts
from vouchers.institutions.staff_passwords import change_own_password, reset_password

TAG = "institution"
ID = r"{%s:\d{1,9}}"


class StaffOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    active: bool
    wechat_bindings: int = 0  # Official Account followers receiving this member's notices

    @classmethod
    def of(cls, s: Staff, bindings: int = 0) -> StaffOut:
        return cls(
            id=s.id,
            username=s.username,
            display_name=s.display_name,
            role=s.role,
            active=s.active,
            wechat_bindings=bindings,
        )


class NewToken(BaseModel):
    """A changed password ends every session of the member; this desk goes on with this token."""

    token: str
    expires_in: int


class StaffList(BaseModel):
    items: list[StaffOut]


@endpoint(
    "GET", "/api/v1/institution/staff", summary="Staff of my institution", tag=TAG, auth="staff", response=StaffList
)
async def list_staff(request: web.Request, staff: Staff) -> StaffList:
    members = await manage.list_staff(staff)
    counts = await binding_counts([m.id for m in members])
    return StaffList(items=[StaffOut.of(m, counts.get(m.id, 0)) for m in members])


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


@endpoint(
    "POST",
    STAFF_ITEM + "/password",
    summary="Reset a staff member's password (commissioner); their sessions end",
    tag=TAG,
    auth="staff",
    body=PasswordResetSpec,
    response=StaffOut,
)
async def reset_staff_password(request: web.Request, staff: Staff, body: PasswordResetSpec) -> StaffOut:
    return StaffOut.of(await reset_password(staff, path_int(request, "staff_id"), body.password))


@endpoint(
    "POST",
    "/api/v1/institution/password",
    summary="Change my own password; my other sessions end",
    tag=TAG,
    auth="staff",
    body=OwnPasswordSpec,
    response=NewToken,
)
async def change_password(request: web.Request, staff: Staff, body: OwnPasswordSpec) -> NewToken:
    svc = request.app[SERVICES]
    changed = await change_own_password(staff, body.current_password, body.new_password)
    token = svc.tokens.issue(STAFF, changed.id, svc.staff_token_ttl_s, version=changed.token_version)
    return NewToken(token=token, expires_in=svc.staff_token_ttl_s)
