"""Reading payment lists within the bureau user's regions: the list of lists with their totals,
one list with its lines. Another region's list is refused with `out_of_region` (403), an unknown
one with 404."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Subquery
from tortoise.functions import Count, Sum

from models import BureauUser, PaymentList, PaymentListLine, PaymentListStatus, Region
from vouchers.common import errors
from vouchers.identity.bureau_auth import ensure_covers

PAYEE_KIND_TEXT = {"institution": "培训机构", "employer": "用人单位", "trainee": "个人社保卡账户"}
STATUS_TEXT = {"drafted": "草稿", "paid": "已拨付", "cancelled": "已作废"}


@dataclass(frozen=True)
class ListsPage:
    lists: list[PaymentList]
    total: int
    total_fen: int


async def list_payment_lists(user: BureauUser, status: PaymentListStatus | None, limit: int, offset: int) -> ListsPage:
    # By a subquery, not a join: Tortoise groups an aggregate over a join by every column.
    regions = Region.filter(path__startswith=user.region.path).values("code")
    query = PaymentList.filter(region_id__in=Subquery(regions))
    if status:
        query = query.filter(status=status)
    found = await query.order_by("-id").offset(offset).limit(limit).prefetch_related("region")
    [totals] = await query.annotate(n=Count("id"), fen=Sum("total_fen")).values("n", "fen")
    return ListsPage(found, int(totals["n"] or 0), int(totals["fen"] or 0))


async def get_payment_list(user: BureauUser, list_id: int) -> PaymentList:
    found = await PaymentList.get_or_none(id=list_id).prefetch_related("region")
    if found is None:
        raise errors.PaymentListNotFound()
    ensure_covers(user, found.region)
    return found


async def list_lines(payment_list: PaymentList) -> list[PaymentListLine]:
    """Its lines with claim, voucher, holder, class and institution; a cancelled list keeps the
    lines it had."""
    return (
        await PaymentListLine.filter(payment_list_id=payment_list.id)
        .order_by("id")
        .prefetch_related("claim__voucher__person", "claim__training_class", "claim__institution", "claim__payee")
    )
