"""The institution's own staff (/api/v1/institution/staff): the commissioner lists, adds, disables,
enables and removes scanning staff."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel

from miniapp_api.endpoint import endpoint, path_int
from models import Staff
from vouchers.institutions import staff_management as manage
from vouchers.institutions.spec import StaffSpec

TAG = "institution"
ID = r"{%s:\d{1,9}}"


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
