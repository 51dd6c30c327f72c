"""The bureau maintains its subsidy standards (per project type, occupation, level) and the
ratios per eligible group, for its own region and the regions below it."""

from __future__ import annotations

from models import BureauUser, Region, SubsidyRatio, SubsidyStandard
from vouchers.common import errors
from vouchers.identity.bureau_auth import ensure_covers


async def _region(user: BureauUser, code: str) -> Region:
    region = await Region.get_or_none(code=code)
    if region is None:
        raise errors.InvalidInput("地区代码不存在", field="region")
    ensure_covers(user, region)
    return region


async def set_standard(
    user: BureauUser, region: str, project_type: str, occupation: str, level: str, amount_fen: int
) -> SubsidyStandard:
    found = await _region(user, region)
    standard, _ = await SubsidyStandard.update_or_create(
        region_id=found.code,
        project_type=project_type,
        occupation=occupation,
        level=level,
        defaults={"amount_fen": amount_fen},
    )
    return standard


async def set_ratio(user: BureauUser, region: str, eligible_group: str, ratio_permille: int) -> SubsidyRatio:
    found = await _region(user, region)
    ratio, _ = await SubsidyRatio.update_or_create(
        region_id=found.code, eligible_group=eligible_group, defaults={"ratio_permille": ratio_permille}
    )
    return ratio


async def list_standards(user: BureauUser) -> tuple[list[SubsidyStandard], list[SubsidyRatio]]:
    """Those that apply to the user's regions: its own, below, and inherited from above."""
    above = user.region.path.split("/")
    standards = await SubsidyStandard.filter(region__path__startswith=user.region.path).order_by("id")
    inherited = await SubsidyStandard.filter(region_id__in=above[:-1]).order_by("id")
    ratios = await SubsidyRatio.filter(region__path__startswith=user.region.path).order_by("id")
    inherited_ratios = await SubsidyRatio.filter(region_id__in=above[:-1]).order_by("id")
    return inherited + standards, inherited_ratios + ratios
