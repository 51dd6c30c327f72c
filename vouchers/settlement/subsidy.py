"""The subsidy of one passed trainee: the bureau's standard for the project type, occupation and
level, times the ratio of the trainee's eligible group, in integer fen. A face-value voucher
pays at most its face value.

Standards and ratios are looked up from the batch's region upwards, so a city may set its own
and otherwise inherit the province's. Within a region the most specific standard wins (exact
occupation and level, then either one left open, then both). Without a ratio for the group
(or without a group, as on roster vouchers) the ratio is 100 %.
"""

from __future__ import annotations

from dataclasses import dataclass

from models import SubsidyRatio, SubsidyStandard, ValueMode, Voucher
from vouchers.common import errors
from vouchers.common.clock import local_date

FULL = 1000  # per mille


@dataclass(frozen=True)
class Subsidy:
    standard_fen: int
    ratio_permille: int
    subsidy_fen: int


def _regions_up(path: str) -> list[str]:
    return list(reversed(path.split("/")))


async def standard_for(
    region_path: str, project_type: str, occupation: str | None, level: str | None, year: int
) -> int | None:
    """The standard in force in `year`: the latest effective year not after it."""
    chain = _regions_up(region_path)
    occupation, level = occupation or "", level or ""
    rows = await SubsidyStandard.filter(
        region_id__in=chain,
        project_type=project_type,
        occupation__in={occupation, ""},
        level__in={level, ""},
        effective_year__lte=year,
    )
    if not rows:
        return None

    def rank(s: SubsidyStandard) -> tuple[int, int, int, int]:
        # nearest region first, then exact occupation, then exact level, then the latest year
        return (chain.index(s.region_id), s.occupation != occupation, s.level != level, -s.effective_year)

    return min(rows, key=rank).amount_fen


async def ratio_for(region_path: str, group: str | None, year: int) -> int:
    if not group:
        return FULL
    chain = _regions_up(region_path)
    rows = await SubsidyRatio.filter(region_id__in=chain, eligible_group=group, effective_year__lte=year)
    if not rows:
        return FULL
    return min(rows, key=lambda r: (chain.index(r.region_id), -r.effective_year)).ratio_permille


async def compute_subsidy(voucher: Voucher, project_type: str, occupation: str | None, level: str | None) -> Subsidy:
    """`voucher` with its batch and the batch's region loaded."""
    batch = voucher.batch
    year = local_date(voucher.claimed_at).year  # the voucher's year decides which standard applies
    standard = await standard_for(batch.region.path, project_type, occupation, level, year)
    if standard is None:
        raise errors.NoSubsidyStandard()
    ratio = await ratio_for(batch.region.path, voucher.eligible_group, year)
    amount = standard * ratio // FULL
    if batch.value_mode == ValueMode.FACE_VALUE and batch.face_value_fen is not None:
        amount = min(amount, batch.face_value_fen)
    if batch.value_mode == ValueMode.CHECKIN_ONLY:
        amount = 0  # attendance only, no subsidy (Shanghai's check-in voucher)
    return Subsidy(standard, ratio, amount)
