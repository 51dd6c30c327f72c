"""Trainee API: the notices center (消息中心) and giving a voucher back (退券). Any channel's session."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Self

from aiohttp import web
from pydantic import BaseModel, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from miniapp_api.endpoint import endpoint
from miniapp_api.schemas import Page, Strict, VoucherOut
from models import ChannelAccount
from peixunquan.appkeys import CONFIG, SERVICES
from vouchers.claiming.give_back import give_back_voucher
from vouchers.common.clock import utcnow
from vouchers.notices.notices_center import MAX_IDS, mark_read, my_notices, unread_count

TAG = "trainee"


class NoticeOut(BaseModel):
    id: int
    kind: str = Field(description="voucher_claimed, voucher_expiring, voucher_returned, ...")
    title: str = Field(description="What happened, as the push said it (领取成功, 即将过期 ...)")
    text: str = Field(description="What to do, as the push said it (还剩7天，请尽快报名参加培训 ...)")
    batch_title: str | None
    voucher_code: str | None = Field(description="The voucher the notice is about: a tap opens it")
    created_at: datetime
    delivery: str = Field(description="sent, pending, or undelivered (no channel reached the trainee)")
    delivery_label: str = Field(description="The delivery in Chinese: 已通过微信小程序推送 ...")
    channel: str | None = Field(description="The channel that carried it, when sent")
    read: bool
    read_at: datetime | None


class NoticeList(BaseModel):
    items: list[NoticeOut]
    unread: int = Field(description="How many of all my notices are unread")
    kept_days: int = Field(description="Notices are kept this many days ([worker] outbox_retention_days), then go")


class UnreadCount(BaseModel):
    unread: int


class MarkRead(Strict):
    ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(
        default_factory=list, max_length=MAX_IDS, description="Notices to mark read"
    )
    all: bool = Field(False, description="Mark every notice read instead")

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if self.all == bool(self.ids):
            raise ValidationError.from_exception_data(
                "MarkRead",
                [
                    InitErrorDetails(
                        type=PydanticCustomError("value_error", "：请指定要标记为已读的消息，或选择全部已读"),
                        loc=("ids",),
                        input=self.ids,
                    )
                ],
            )
        return self


class MarkedRead(BaseModel):
    marked: int = Field(description="How many were unread and are now read")
    unread: int


@endpoint(
    "GET",
    "/api/v1/notices",
    summary="My notices, newest first, delivered or not",
    tag=TAG,
    auth="trainee",
    query=Page,
    response=NoticeList,
)
async def list_notices(request: web.Request, account: ChannelAccount, query: Page) -> NoticeList:
    notices = await my_notices(account, query.limit, query.offset)
    items = [NoticeOut(**asdict(n), read=n.read_at is not None) for n in notices]
    kept_days = request.app[CONFIG].worker.outbox_retention_days
    return NoticeList(items=items, unread=await unread_count(account), kept_days=kept_days)


@endpoint(
    "GET",
    "/api/v1/notices/unread-count",
    summary="How many of my notices are unread",
    tag=TAG,
    auth="trainee",
    response=UnreadCount,
)
async def get_unread_count(request: web.Request, account: ChannelAccount) -> UnreadCount:
    return UnreadCount(unread=await unread_count(account))


@endpoint(
    "POST",
    "/api/v1/notices/read",
    summary="Mark notices read: {ids: [...]} or {all: true}",
    tag=TAG,
    auth="trainee",
    body=MarkRead,
    response=MarkedRead,
)
async def read_notices(request: web.Request, account: ChannelAccount, body: MarkRead) -> MarkedRead:
    marked = await mark_read(account, None if body.all else body.ids)
    return MarkedRead(marked=marked, unread=await unread_count(account))


@endpoint(
    "POST",
    "/api/v1/vouchers/{code:[A-Z2-7]{16}}/return",
    summary="Give a voucher back (退券): a general voucher not yet used for enrolment",
    tag=TAG,
    auth="trainee",
    response=VoucherOut,
)
async def return_voucher(request: web.Request, account: ChannelAccount) -> VoucherOut:
    voucher = await give_back_voucher(request.app[SERVICES], account, request.match_info["code"])
    return VoucherOut.of(voucher, utcnow())
