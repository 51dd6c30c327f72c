"""Yearly issue and use targets per region (Wuxi's 90,000 issued / 9,000 used), set by the
bureau for its own region and the regions below it, read by the statistics."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from models import BureauUser, RegionTarget
from vouchers.common.admin_log import record
from vouchers.identity.bureau_auth import region_in_scope


async def set_target(user: BureauUser, region: str, year: int, issue_target: int, use_target: int) -> RegionTarget:
    found = await region_in_scope(user, region)
    async with in_transaction() as conn:
        before = await RegionTarget.get_or_none(region_id=found.code, year=year).using_db(conn)
        target, _ = await RegionTarget.update_or_create(
            region_id=found.code,
            year=year,
            defaults={"issue_target": issue_target, "use_target": use_target},
            using_db=conn,
        )
        await record(
            user,
            "target_set",
            "target",
            target.id,
            found.path,
            {"year": year, "issue_target": before.issue_target, "use_target": before.use_target} if before else None,
            {"year": year, "issue_target": issue_target, "use_target": use_target},
            conn,
        )
    return target


async def list_targets(user: BureauUser, year: int) -> list[RegionTarget]:
    return (
        await RegionTarget.filter(region__path__startswith=user.region.path, year=year)
        .order_by("region__path")
        .prefetch_related("region")
    )
