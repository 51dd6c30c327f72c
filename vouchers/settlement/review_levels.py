"""How many reviewers a region's settlement claims need: 1 (one approval settles) or 2 (初审 then
复审 by another bureau user). A region without a setting inherits the nearest one up its path, as
subsidy standards do; with none at all, 1."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models import BureauUser, Region, ReviewPolicy
from vouchers.common import errors
from vouchers.identity.bureau_auth import region_in_scope

DEFAULT_LEVELS = 1


@dataclass(frozen=True)
class EffectiveLevels:
    levels: int
    set_at: str | None  # the region whose setting applies; None: the default


async def effective_levels(region_path: str, conn: Any = None) -> EffectiveLevels:
    """The setting of the nearest region up `region_path` (codes from the root, joined by "/")."""
    codes = region_path.split("/")
    query = ReviewPolicy.filter(region_id__in=codes)
    if conn is not None:
        query = query.using_db(conn)
    return nearest(codes, {p.region_id: p.levels for p in await query})


def nearest(codes: list[str], settings: dict[str, int]) -> EffectiveLevels:
    """The setting nearest the end of `codes` (a region path, root first)."""
    for code in reversed(codes):
        if code in settings:
            return EffectiveLevels(settings[code], code)
    return EffectiveLevels(DEFAULT_LEVELS, None)


async def set_levels(user: BureauUser, code: str, levels: int) -> ReviewPolicy:
    if levels not in (1, 2):
        raise errors.InvalidInput("审核级数只能是 1 或 2", field="levels")
    region = await region_in_scope(user, code)
    policy, _ = await ReviewPolicy.update_or_create(
        region_id=region.code, defaults={"levels": levels, "updated_by_id": user.id}
    )
    return policy


async def settings_below(region: Region) -> list[ReviewPolicy]:
    """Every setting in the region's subtree (its own included), by region code."""
    rows = await ReviewPolicy.filter(region__path__startswith=region.path).prefetch_related("region")
    return sorted((p for p in rows if region.covers(p.region.path)), key=lambda p: p.region_id)
