"""Payment lists (拨付清单) API (/api/v1/admin/payment-lists): gather approved claims into drafted
lists per payee, read them, mark one paid (its vouchers are written off), cancel a drafted one,
export one as XLSX. Every list is within the bureau user's regions; another region's is refused
with 403 `out_of_region`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from aiohttp import web
from pydantic import BaseModel, Field, StringConstraints

from miniapp_api.endpoint import endpoint, path_int
from miniapp_api.schemas import Strict
from models import BureauUser, PayeeKind, PaymentList, PaymentListLine, PaymentListStatus
from peixunquan.appkeys import SERVICES
from vouchers.batches.spec import NoNul
from vouchers.identity.bureau_roles import Permission
from vouchers.payments.cancel import cancel_list
from vouchers.payments.export import export_list, filename
from vouchers.payments.gather import GatherScope, gather_lists
from vouchers.payments.lists import (
    PAYEE_KIND_TEXT,
    STATUS_TEXT,
    get_payment_list,
    list_lines,
    list_payment_lists,
)
from vouchers.payments.mark_paid import mark_paid
from vouchers.scanning.summary import MaskedHolders
from vouchers.settlement.completion_file import XLSX_TYPE

TAG = "payment lists"
BASE = "/api/v1/admin/payment-lists"
ITEM = BASE + "/{list_id:\\d{1,12}}"


class GatherIn(Strict):
    # Named, not defaulted: gathering drafts lists for a whole subtree, so the clerk says which.
    region: Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
    payee_kind: PayeeKind | None = None
    institution_id: int | None = Field(None, ge=1, le=999_999_999)


class PaidIn(Strict):
    payment_ref: Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True), NoNul]


class ListsQuery(Strict):
    status: PaymentListStatus | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class PaymentListOut(BaseModel):
    id: int
    number: str
    region: str
    region_name: str
    payee_kind: PayeeKind
    payee_kind_text: str
    payee_name: str
    institution_id: int | None
    total_fen: int
    line_count: int
    status: PaymentListStatus
    status_text: str  # 草稿, 已拨付, 已作废
    payment_ref: str | None
    created_at: datetime
    paid_at: datetime | None
    cancelled_at: datetime | None

    @classmethod
    def of(cls, p: PaymentList) -> PaymentListOut:
        return cls(
            id=p.id,
            number=p.number,
            region=p.region_id,
            region_name=p.region.name,
            payee_kind=p.payee_kind,
            payee_kind_text=PAYEE_KIND_TEXT[str(p.payee_kind)],
            payee_name=p.payee_name,
            institution_id=p.institution_id,
            total_fen=p.total_fen,
            line_count=p.line_count,
            status=p.status,
            status_text=STATUS_TEXT[str(p.status)],
            payment_ref=p.payment_ref,
            created_at=p.created_at,
            paid_at=p.paid_at,
            cancelled_at=p.cancelled_at,
        )


class GatheredOut(BaseModel):
    items: list[PaymentListOut]  # the lists just drafted; empty when no approved claim was left


class ListsOut(BaseModel):
    items: list[PaymentListOut]
    total: int  # lists matching the filter, all pages
    total_fen: int  # their amounts summed
    limit: int
    offset: int


class LineOut(BaseModel):
    claim_id: int
    voucher_code: str
    holder_name: str  # masked
    id_number: str  # masked; the XLSX export has it in clear
    class_id: int
    class_name: str
    institution: str
    payee_kind: PayeeKind
    amount_fen: int

    @classmethod
    def of(cls, line: PaymentListLine, holders: MaskedHolders) -> LineOut:
        claim = line.claim
        person = claim.voucher.person
        name, id_number = holders.of(person.name_cipher, person.id_cipher)
        return cls(
            claim_id=claim.id,
            voucher_code=claim.voucher.code,
            holder_name=name,
            id_number=id_number,
            class_id=claim.training_class_id,
            class_name=claim.training_class.name,
            institution=claim.institution.name,
            payee_kind=claim.payee.kind,
            amount_fen=line.amount_fen,
        )


class ListDetailOut(PaymentListOut):
    lines: list[LineOut]


@endpoint(
    "POST",
    BASE,
    summary="Gather every approved claim not yet on a list (within a region, payee kind or institution) "
    "into drafted lists, one per payee",
    tag=TAG,
    auth="bureau",
    permission=Permission.PAYMENTS,
    body=GatherIn,
    response=GatheredOut,
)
async def post_lists(request: web.Request, user: BureauUser, body: GatherIn) -> GatheredOut:
    made = await gather_lists(user, GatherScope(body.region, body.payee_kind, body.institution_id))
    return GatheredOut(items=[PaymentListOut.of(await get_payment_list(user, p.id)) for p in made])


@endpoint(
    "GET",
    BASE,
    summary="Payment lists of my regions, newest first, with totals",
    tag=TAG,
    auth="bureau",
    query=ListsQuery,
    response=ListsOut,
)
async def get_lists(request: web.Request, user: BureauUser, query: ListsQuery) -> ListsOut:
    page = await list_payment_lists(user, query.status, query.limit, query.offset)
    return ListsOut(
        items=[PaymentListOut.of(p) for p in page.lists],
        total=page.total,
        total_fen=page.total_fen,
        limit=query.limit,
        offset=query.offset,
    )


async def _detail(request: web.Request, payment_list: PaymentList) -> ListDetailOut:
    holders = request.app[SERVICES].masked_holders
    lines = [LineOut.of(line, holders) for line in await list_lines(payment_list)]
    return ListDetailOut(**PaymentListOut.of(payment_list).model_dump(), lines=lines)


@endpoint("GET", ITEM, summary="A payment list with its lines", tag=TAG, auth="bureau", response=ListDetailOut)
async def get_list(request: web.Request, user: BureauUser) -> ListDetailOut:
    return await _detail(request, await get_payment_list(user, path_int(request, "list_id")))


@endpoint(
    "POST",
    ITEM + "/paid",
    summary="Mark a drafted list paid with the transfer's reference; its vouchers are written off",
    tag=TAG,
    auth="bureau",
    permission=Permission.PAYMENTS,
    body=PaidIn,
    response=ListDetailOut,
)
async def post_paid(request: web.Request, user: BureauUser, body: PaidIn) -> ListDetailOut:
    return await _detail(request, await mark_paid(user, path_int(request, "list_id"), body.payment_ref))


@endpoint(
    "POST",
    ITEM + "/cancel",
    summary="Cancel a drafted list: its claims can be gathered again",
    tag=TAG,
    auth="bureau",
    permission=Permission.PAYMENTS,
    response=ListDetailOut,
)
async def post_cancel(request: web.Request, user: BureauUser) -> ListDetailOut:
    return await _detail(request, await cancel_list(user, path_int(request, "list_id")))


@endpoint(
    "GET",
    ITEM + "/export.xlsx",
    summary="A payment list as XLSX: header block, a line per claim with names and ID numbers (as text)",
    tag=TAG,
    auth="bureau",
    permission=Permission.PAYMENTS,
)
async def get_export(request: web.Request, user: BureauUser) -> web.Response:
    payment_list = await get_payment_list(user, path_int(request, "list_id"))
    body = await export_list(request.app[SERVICES].keys, payment_list)
    headers = {
        "Content-Disposition": f'attachment; filename="payment-list-{payment_list.number}.xlsx"; '
        f"filename*=UTF-8''{quote(filename(payment_list), safe='')}",
        "Cache-Control": "no-store",
    }
    return web.Response(body=body, content_type=XLSX_TYPE, headers=headers)
