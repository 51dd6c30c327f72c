"""The bureau's settlement queue: claims within the user's regions, filtered by institution,
class, batch and status, a page at a time, with the count and the subsidy total of the whole
filter (not just the page) so the reviewer sees what the selection amounts to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Subquery
from tortoise.functions import Count, Sum

from models import Batch, BureauUser, ClaimStatus, SettlementClaim


@dataclass(frozen=True)
class QueueFilter:
    status: ClaimStatus | None = None
    institution_id: int | None = None
    class_id: int | None = None
    batch_id: int | None = None


@dataclass(frozen=True)
class QueuePage:
    claims: list[SettlementClaim]
    total: int
    total_subsidy_fen: int


def scoped_claims(user: BureauUser) -> Any:
    # By a subquery, not a join: an aggregate over a joined query gets Tortoise's GROUP BY of
    # every column, one row per claim instead of the totals.
    batches = Batch.filter(region__path__startswith=user.region.path).values("id")
    return SettlementClaim.filter(batch_id__in=Subquery(batches))


def _filtered(user: BureauUser, f: QueueFilter) -> Any:
    query = scoped_claims(user)
    if f.status:
        query = query.filter(status=f.status)
    if f.institution_id:
        query = query.filter(institution_id=f.institution_id)
    if f.class_id:
        query = query.filter(training_class_id=f.class_id)
    if f.batch_id:
        query = query.filter(batch_id=f.batch_id)
    return query


async def list_claims(user: BureauUser, f: QueueFilter, limit: int, offset: int) -> QueuePage:
    [totals] = await _filtered(user, f).annotate(n=Count("id"), fen=Sum("subsidy_fen")).values("n", "fen")
    claims = (
        await _filtered(user, f)
        .order_by("id")
        .offset(offset)
        .limit(limit)
        .prefetch_related("voucher__batch", "voucher__person", "training_class", "institution")
    )
    return QueuePage(claims, int(totals["n"] or 0), int(totals["fen"] or 0))
