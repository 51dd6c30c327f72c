"""Who reviewed a claim and what comes next, for the reviewer's queue: the review levels the
claim's region needs now, the first reviewer (初审), the second (复审: the final decider of a claim
that had a first approval), the final decider, and the live payment list holding it, if any.
Read in bulk for a page of claims."""

from __future__ import annotations

from dataclasses import dataclass

from models import BureauUser, PaymentListLine, Region, ReviewPolicy, SettlementClaim
from vouchers.settlement.review_levels import nearest


@dataclass(frozen=True)
class Reviewer:
    id: int
    name: str


@dataclass(frozen=True)
class ListRef:
    id: int
    number: str
    status: str


@dataclass(frozen=True)
class ReviewTrail:
    review_levels: int
    first_reviewer: Reviewer | None
    second_reviewer: Reviewer | None
    decided_by: Reviewer | None
    payment_list: ListRef | None


async def review_trails(claims: list[SettlementClaim]) -> dict[int, ReviewTrail]:
    """`claims` with `voucher__batch` loaded."""
    if not claims:
        return {}
    reviewers = await _reviewers({i for c in claims for i in (c.first_reviewer_id, c.decided_by_id) if i})
    levels = await _levels_by_region({c.voucher.batch.region_id for c in claims})
    lists = await _live_lists([c.id for c in claims])
    out = {}
    for c in claims:
        first = reviewers.get(c.first_reviewer_id) if c.first_reviewer_id else None
        decider = reviewers.get(c.decided_by_id) if c.decided_by_id else None
        out[c.id] = ReviewTrail(
            review_levels=levels[c.voucher.batch.region_id],
            first_reviewer=first,
            second_reviewer=decider if first is not None else None,
            decided_by=decider,
            payment_list=lists.get(c.id),
        )
    return out


async def _reviewers(ids: set[int]) -> dict[int, Reviewer]:
    users = await BureauUser.filter(id__in=ids).only("id", "username", "display_name") if ids else []
    return {u.id: Reviewer(u.id, u.display_name or u.username) for u in users}


async def _levels_by_region(codes: set[str]) -> dict[str, int]:
    regions = await Region.filter(code__in=codes).only("code", "path")
    paths = {r.code: r.path.split("/") for r in regions}
    above = {code for path in paths.values() for code in path}
    policies = {p.region_id: p.levels for p in await ReviewPolicy.filter(region_id__in=above)}
    return {code: nearest(path, policies).levels for code, path in paths.items()}


async def _live_lists(claim_ids: list[int]) -> dict[int, ListRef]:
    lines = await PaymentListLine.filter(claim_id__in=claim_ids, live=True).prefetch_related("payment_list")
    return {
        line.claim_id: ListRef(line.payment_list_id, line.payment_list.number, str(line.payment_list.status))
        for line in lines
    }
