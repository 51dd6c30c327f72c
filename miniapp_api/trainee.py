"""Trainee API (/api/v1/...): card center, claim, wallet. Any channel's session works."""

from __future__ import annotations

from aiohttp import web

from miniapp_api.endpoint import endpoint
from miniapp_api.metrics import CLAIMS
from miniapp_api.schemas import (
    BatchOut,
    CardCenter,
    CardCenterItem,
    ClaimRequest,
    HistoryOut,
    Page,
    VoucherDetail,
    VoucherList,
    VoucherOut,
)
from models import ChannelAccount
from peixunquan.appkeys import SERVICES
from vouchers.claiming.card_center import card_center
from vouchers.claiming.claim import claim_voucher
from vouchers.claiming.wallet import my_vouchers, voucher_detail
from vouchers.common.clock import utcnow
from vouchers.common.errors import DomainError

TAG = "trainee"


@endpoint(
    "GET",
    "/api/v1/card-center",
    summary="Batches I may claim, and why not for the others",
    tag=TAG,
    auth="trainee",
    query=Page,
    response=CardCenter,
)
async def get_card_center(request: web.Request, account: ChannelAccount, query: Page) -> CardCenter:
    entries = await card_center(request.app[SERVICES], account, query.limit, query.offset)
    return CardCenter(
        items=[
            CardCenterItem(batch=BatchOut.of(e.batch), claimable=e.claimable, reason=e.reason, message=e.message)
            for e in entries
        ]
    )


@endpoint(
    "POST",
    "/api/v1/claims",
    summary="Claim a voucher",
    tag=TAG,
    auth="trainee",
    body=ClaimRequest,
    response=VoucherOut,
    status=201,
)
async def claim(request: web.Request, account: ChannelAccount, body: ClaimRequest) -> VoucherOut:
    try:
        voucher = await claim_voucher(request.app[SERVICES], account, body.batch_id, body.group)
    except DomainError as exc:
        CLAIMS.labels(exc.code).inc()
        raise
    CLAIMS.labels("issued").inc()
    return VoucherOut.of(voucher, utcnow())


@endpoint("GET", "/api/v1/vouchers", summary="My vouchers", tag=TAG, auth="trainee", query=Page, response=VoucherList)
async def list_vouchers(request: web.Request, account: ChannelAccount, query: Page) -> VoucherList:
    now = utcnow()
    return VoucherList(items=[VoucherOut.of(v, now) for v in await my_vouchers(account, query.limit, query.offset)])


@endpoint(
    "GET",
    "/api/v1/vouchers/{code:[A-Z2-7]{16}}",
    summary="One of my vouchers with its history",
    tag=TAG,
    auth="trainee",
    response=VoucherDetail,
)
async def get_voucher(request: web.Request, account: ChannelAccount) -> VoucherDetail:
    voucher, history = await voucher_detail(account, request.match_info["code"])
    out = VoucherOut.of(voucher, utcnow())
    return VoucherDetail(**out.model_dump(), history=[HistoryOut.of(h) for h in history])
