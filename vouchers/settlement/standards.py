"""The bureau maintains its subsidy standards (per project type, occupation, level) and the
ratios per eligible group, each from an effective year on, for its own region and the regions
below it. Every change is in the admin log with the amount before."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from models import BureauUser, SubsidyRatio, SubsidyStandard
from vouchers.common.admin_log import record
from vouchers.identity.bureau_auth import region_in_scope


async def set_standard(
    user: BureauUser, region: str, project_type: str, occupation: str, level: str, amount_fen: int, year: int = 2021
) -> SubsidyStandard:
    found = await region_in_scope(user, region)
    key = {
        "region_id": found.code,
        "project_type": project_type,
        "occupation": occupation,
        "level": level,
        "effective_year": year,
    }
    async with in_transaction() as conn:
        before = await SubsidyStandard.get_or_none(**key).using_db(conn)
        standard, _ = await SubsidyStandard.update_or_create(defaults={"amount_fen": amount_fen}, using_db=conn, **key)
        shown = {"project_type": project_type, "occupation": occupation, "level": level, "effective_year": year}
        await record(
            user,
            "standard_set",
            "standard",
            standard.id,
            found.path,
            {**shown, "amount_fen": before.amount_fen} if before else None,
            {**shown, "amount_fen": amount_fen},
            conn,
        )
    return standard


async def set_ratio(
    user: BureauUser, region: str, eligible_group: str, ratio_permille: int, year: int = 2021
) -> SubsidyRatio:
    found = await region_in_scope(user, region)
    key = {"region_id": found.code, "eligible_group": eligible_group, "effective_year": year}
    async with in_transaction() as conn:
        before = await SubsidyRatio.get_or_none(**key).using_db(conn)
        ratio, _ = await SubsidyRatio.update_or_create(
            defaults={"ratio_permille": ratio_permille}, using_db=conn, **key
        )
        shown = {"eligible_group": eligible_group, "effective_year": year}
        await record(
            user,
            "ratio_set",
            "ratio",
            ratio.id,
            found.path,
            {**shown, "ratio_permille": before.ratio_permille} if before else None,
            {**shown, "ratio_permille": ratio_permille},
            conn,
        )
    return ratio


async def list_standards(user: BureauUser) -> tuple[list[SubsidyStandard], list[SubsidyRatio]]:
    """Those that apply to the user's regions: its own, below, and inherited from above."""
    above = user.region.path.split("/")
    order = ("region_id", "project_type", "occupation", "level", "effective_year")
    standards = await SubsidyStandard.filter(region__path__startswith=user.region.path).order_by(*order)
    inherited = await SubsidyStandard.filter(region_id__in=above[:-1]).order_by(*order)
    await SubsidyStandard.fetch_for_list([*inherited, *standards], "region")  # named on the page
    ratio_order = ("region_id", "eligible_group", "effective_year")
    ratios = await SubsidyRatio.filter(region__path__startswith=user.region.path).order_by(*ratio_order)
    inherited_ratios = await SubsidyRatio.filter(region_id__in=above[:-1]).order_by(*ratio_order)
    await SubsidyRatio.fetch_for_list([*inherited_ratios, *ratios], "region")
    return inherited + standards, inherited_ratios + ratios
