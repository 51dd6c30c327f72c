"""The institution's sign-ups (报名): those of a class, and declining one with a reason.
Confirming one is the registration scan (POST /api/v1/scans, action enrol)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, Field, StringConstraints

from miniapp_api.endpoint import endpoint, path_int
from miniapp_api.schemas import Strict
from models import Staff
from peixunquan.appkeys import SERVICES
from vouchers.batches.spec import NoNul
from vouchers.catalogue.decline import decline_signup
from vouchers.catalogue.signup_lists import SignupEntry, class_signups
from vouchers.common.labels import signup_status_label

TAG = "institution"
ID = r"{%s:\d{1,9}}"


class ClassSignupOut(BaseModel):
    id: int
    status: str = Field(description="pending, confirmed, declined, lapsed, cancelled")
    status_text: str
    reason: str | None
    created_at: datetime
    decided_at: datetime | None
    voucher_code: str
    title: str = Field(description="The voucher's batch")
    holder_name: str = Field(description="Masked: 王*明")

    @classmethod
    def of(cls, e: SignupEntry) -> ClassSignupOut:
        s = e.signup
        return cls(
            id=s.id,
            status=str(e.status),
            status_text=signup_status_label(str(e.status)),
            reason=e.reason,
            created_at=s.created_at,
            decided_at=s.decided_at,
            voucher_code=s.voucher.code,
            title=s.voucher.batch.title,
            holder_name=e.holder_name or "",
        )


class ClassSignups(BaseModel):
    class_id: int
    class_name: str
    hold_places_for_signups: bool
    items: list[ClassSignupOut]


class SignupPage(Strict):
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)


@endpoint(
    "GET",
    "/api/v1/institution/classes/" + ID % "class_id" + "/signups",
    summary="Sign-ups of one of our classes, newest first",
    tag=TAG,
    auth="staff",
    query=SignupPage,
    response=ClassSignups,
)
async def list_class_signups(request: web.Request, staff: Staff, query: SignupPage) -> ClassSignups:
    holders = request.app[SERVICES].masked_holders
    klass, entries = await class_signups(staff, holders, path_int(request, "class_id"), query.limit, query.offset)
    return ClassSignups(
        class_id=klass.id,
        class_name=klass.name,
        hold_places_for_signups=klass.hold_places_for_signups,
        items=[ClassSignupOut.of(e) for e in entries],
    )


class DeclineRequest(Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=100), NoNul] = Field(
        description="Told to the trainee, e.g. 本期名额已满，请报名下一期"
    )


class DeclinedOut(BaseModel):
    id: int
    status: str
    status_text: str
    reason: str | None


@endpoint(
    "POST",
    "/api/v1/institution/signups/" + ID % "signup_id" + "/decline",
    summary="Decline a pending sign-up, with the reason the trainee is told",
    tag=TAG,
    auth="staff",
    body=DeclineRequest,
    response=DeclinedOut,
)
async def decline(request: web.Request, staff: Staff, body: DeclineRequest) -> DeclinedOut:
    signup = await decline_signup(staff, path_int(request, "signup_id"), body.reason)
    status = str(signup.status)
    return DeclinedOut(id=signup.id, status=status, status_text=signup_status_label(status), reason=signup.reason)
