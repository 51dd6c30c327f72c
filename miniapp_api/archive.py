"""Lifelong training archive: the trainee's own (any channel's session: both mini programs and
the H5 page), and the bureau's look-up by ID number (POSTed, so it stays out of URLs and logs)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, Field, StringConstraints

from miniapp_api.endpoint import endpoint
from miniapp_api.schemas import Strict
from models import BureauUser, ChannelAccount
from peixunquan.appkeys import SERVICES
from vouchers.identity.bureau_roles import Permission
from vouchers.settlement.archive import Archive, my_archive
from vouchers.settlement.archive_lookup import archive_lookups, lookup_archive

TAG = "archive"


class ArchiveVoucher(BaseModel):
    code: str
    title: str
    status: str
    claimed_at: datetime
    used_at: datetime | None


class ArchiveClass(BaseModel):
    class_id: int
    class_name: str
    institution: str
    project_type: str
    occupation: str | None
    start_date: str
    end_date: str
    voucher_code: str
    lessons: int
    attended: int
    enrolled_at: datetime


class CertificateOut(BaseModel):
    kind: str
    number: str
    level: str | None
    occupation: str | None
    project_type: str | None
    institution: str | None
    class_name: str | None
    voucher_code: str | None
    issued_at: datetime


class ArchiveOut(BaseModel):
    holder_name: str
    id_number: str
    vouchers: list[ArchiveVoucher]
    classes: list[ArchiveClass]
    certificates: list[CertificateOut]

    @classmethod
    def of(cls, a: Archive) -> ArchiveOut:
        return cls(
            holder_name=a.holder_name,
            id_number=a.id_number,
            vouchers=[ArchiveVoucher(**v) for v in a.vouchers],
            classes=[ArchiveClass(**vars(c)) for c in a.classes],
            certificates=[
                CertificateOut(
                    kind=c.kind,
                    number=c.number,
                    level=c.level,
                    occupation=c.occupation,
                    project_type=c.project_type,
                    institution=c.institution_name,
                    class_name=c.class_name,
                    voucher_code=c.voucher_code,
                    issued_at=c.issued_at,
                )
                for c in a.certificates
            ],
        )


class LookupRequest(Strict):
    id_number: Annotated[str, StringConstraints(min_length=1, max_length=32)]


@endpoint(
    "GET", "/api/v1/archive", summary="My lifelong training archive", tag=TAG, auth="trainee", response=ArchiveOut
)
async def get_my_archive(request: web.Request, account: ChannelAccount) -> ArchiveOut:
    return ArchiveOut.of(await my_archive(request.app[SERVICES], account))


@endpoint(
    "POST",
    "/api/v1/admin/archive/lookup",
    summary="A person's training archive, looked up by ID number (persons with vouchers in my regions)",
    tag=TAG,
    auth="bureau",
    permission=Permission.ARCHIVE,
    body=LookupRequest,
    response=ArchiveOut,
)
async def lookup(request: web.Request, user: BureauUser, body: LookupRequest) -> ArchiveOut:
    return ArchiveOut.of(await lookup_archive(request.app[SERVICES], user, body.id_number))


class LookupOut(BaseModel):
    username: str
    display_name: str
    region: str
    id_number: str = Field(description="Masked")
    shown: bool = Field(description="Whether an archive was shown (false: unknown or outside the asker's regions)")
    at: datetime


class LookupList(BaseModel):
    items: list[LookupOut]


class LookupQuery(Strict):
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)


@endpoint(
    "GET",
    "/api/v1/admin/archive/lookups",
    summary="Who looked up which archive: the look-ups by users of my region and below",
    tag=TAG,
    auth="bureau",
    permission=Permission.ACCOUNTS,
    query=LookupQuery,
    response=LookupList,
)
async def lookups(request: web.Request, user: BureauUser, query: LookupQuery) -> LookupList:
    entries = await archive_lookups(user, query.limit, query.offset)
    return LookupList(items=[LookupOut(**vars(e)) for e in entries])
