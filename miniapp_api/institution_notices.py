"""The notices an institution received (/api/v1/institution/notices), with how each reached its
people, newest first; `before` pages back."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, Field

from miniapp_api.endpoint import endpoint
from miniapp_api.schemas import Strict
from models import Staff
from peixunquan.appkeys import CONFIG
from vouchers.institutions.notice_log import institution_notices

TAG = "institution"
PAGE = 20


class NoticesQuery(Strict):
    before: int | None = Field(None, ge=1, le=2**62, description="The `next_before` of the previous page")


class DeliveryOut(BaseModel):
    to: str
    status: str
    attempts: int
    error: str | None
    at: datetime | None


class NoticeOut(BaseModel):
    id: int
    kind: str
    kind_text: str
    title: str
    body: str
    at: datetime
    pending: bool
    deliveries: list[DeliveryOut]


class NoticeList(BaseModel):
    items: list[NoticeOut]
    next_before: int | None
    kept_days: int = Field(description="Notices are kept this many days ([worker] outbox_retention_days), then go")


@endpoint(
    "GET",
    "/api/v1/institution/notices",
    summary="Notices my institution received, in full, with their deliveries",
    tag=TAG,
    auth="staff",
    query=NoticesQuery,
    response=NoticeList,
)
async def get_notices(request: web.Request, staff: Staff, query: NoticesQuery) -> NoticeList:
    entries = await institution_notices(staff.institution_id, query.before, PAGE)
    items = [
        NoticeOut(
            **{k: v for k, v in vars(e).items() if k != "deliveries"},
            deliveries=[DeliveryOut(**vars(d)) for d in e.deliveries],
        )
        for e in entries
    ]
    return NoticeList(
        items=items,
        next_before=entries[-1].id if len(entries) == PAGE else None,
        kept_days=request.app[CONFIG].worker.outbox_retention_days,
    )
