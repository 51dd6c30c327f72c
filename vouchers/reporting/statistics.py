"""Statistics per region and period against the yearly targets (the bureau's monthly report).

Figures are flows within the period (local dates, Asia/Shanghai): vouchers issued (every
voucher that reached a person, claimed or issued from a roster), claimed by the person
themselves, enrolled (用券), completed (results submitted), settled and the subsidy paid
(approved), expired (validity ended unused, or voided), the check-ins made, with how many
of them were manual (补签) - a reviewer's reason to look closer -, and the sign-ups (报名) trainees
made online in the catalogue, whatever became of them. A voucher counts for its batch's
region; each region's row is rolled up over the subtree below it (`Region.path` prefix): the
figures are read per batch, then summed here.

On PostgreSQL the figures per batch come from `statistics_day` (`models.StatisticsDay`), kept by
triggers in the transaction of every change, so a year's statistics read a row per batch and day
whatever the number of vouchers; `vouchers.reporting.rollup_check` compares it with a recount. On
SQLite (`make run`) they are counted from the rows, with the same definitions.

With a standby configured (`[database] read_url`) the whole report reads from it
(`models.replica.on_replica`): a report may be as old as the standby's lag, and it decides no write.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from tortoise import connections
from tortoise.expressions import Q
from tortoise.functions import Count, Min, Sum

from models import (
    Attendance,
    Batch,
    BureauUser,
    ClaimStatus,
    Region,
    RegionTarget,
    SettlementClaim,
    Signup,
    StatisticsDay,
    Voucher,
    VoucherStatus,
)
from models.database import is_postgres
from models.replica import on_replica
from vouchers.common import errors
from vouchers.common.clock import LOCAL_TZ
from vouchers.evaluation.figures import evaluation_figures, score
from vouchers.identity.bureau_auth import ensure_covers

FIGURES = (
    "issued",
    "claimed",
    "enrolled",
    "completed",
    "settled",
    "expired",
    "subsidy_fen",
    "checkins",
    "manual_checkins",
    "evaluations",  # evaluations given (培训评价), and the points they gave: see `evaluation_score`
    "evaluation_points",
    "signups",
)


@dataclass(frozen=True)
class Period:
    year: int
    month: int | None = None  # None: the whole year

    def days(self) -> tuple[date, date]:
        """The period's first local date, and the first after it."""
        if self.month is None:
            return date(self.year, 1, 1), date(self.year + 1, 1, 1)
        return date(self.year, self.month, 1), date(self.year + self.month // 12, self.month % 12 + 1, 1)

    def bounds(self) -> tuple[datetime, datetime]:
        first, after = self.days()
        start, end = datetime(first.year, first.month, 1), datetime(after.year, after.month, 1)
        return start.replace(tzinfo=LOCAL_TZ).astimezone(UTC), end.replace(tzinfo=LOCAL_TZ).astimezone(UTC)


@dataclass
class RegionFigures:
    code: str
    name: str
    path: str
    figures: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIGURES, 0))
    issue_target: int = 0
    use_target: int = 0

    @property
    def issue_rate(self) -> float | None:
        """Issued against the yearly issue target (None without a target)."""
        return round(self.figures["issued"] / self.issue_target, 4) if self.issue_target else None

    @property
    def use_rate(self) -> float | None:
        """Enrolled (用券) against the yearly use target."""
        return round(self.figures["enrolled"] / self.use_target, 4) if self.use_target else None

    @property
    def evaluation_score(self) -> float | None:
        """The mean score (1-5) of the evaluations given in the period."""
        return score(self.figures["evaluations"], self.figures["evaluation_points"])


def _between(name: str, start: datetime, end: datetime, **extra: object) -> Count:
    """COUNT(CASE WHEN <name> in [start, end) AND <extra> THEN id END): one scan for all figures."""
    return Count("id", _filter=Q(**{f"{name}__gte": start, f"{name}__lt": end}, **extra))


async def _voucher_figures(batch_ids: list[int], start: datetime, end: datetime) -> dict[int, dict[str, int]]:
    rows = (
        await Voucher.filter(batch_id__in=batch_ids)
        .filter(
            Q(claimed_at__gte=start, claimed_at__lt=end)
            | Q(used_at__gte=start, used_at__lt=end)
            | Q(valid_until__gte=start, valid_until__lt=end),
        )
        .group_by("batch_id")
        .annotate(
            # A voucher given back (退券) is not counted: its unit is issued again to someone else.
            issued=_between("claimed_at", start, end, status__not=VoucherStatus.RETURNED),
            claimed=_between("claimed_at", start, end, automatic=False, status__not=VoucherStatus.RETURNED),
            enrolled=_between("used_at", start, end),
            expired=_between("valid_until", start, end, status__in=[VoucherStatus.EXPIRED, VoucherStatus.VOIDED]),
        )
        .values("batch_id", "issued", "claimed", "enrolled", "expired")
    )
    return {r.pop("batch_id"): {k: int(v or 0) for k, v in r.items()} for r in rows}


async def _claim_figures(batch_ids: list[int], start: datetime, end: datetime) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = defaultdict(dict)
    # A voucher counts once, when its first claim was filed (one filed again after a rejection
    # does not count it twice): the definition the rollup keeps (migration 0026).
    first_filed = (
        await SettlementClaim.filter(batch_id__in=batch_ids, submitted_at__lt=end)
        .group_by("voucher_id", "batch_id")
        .annotate(first=Min("submitted_at"))
        .values_list("batch_id", "first")
    )
    for batch_id, first in first_filed:
        if first >= start:
            out[batch_id]["completed"] = out[batch_id].get("completed", 0) + 1
    settled = (
        await SettlementClaim.filter(
            batch_id__in=batch_ids, status=ClaimStatus.APPROVED, decided_at__gte=start, decided_at__lt=end
        )
        .group_by("batch_id")
        .annotate(n=Count("id"), paid=Sum("subsidy_fen"))
        .values_list("batch_id", "n", "paid")
    )
    for batch_id, n, paid in settled:
        out[batch_id]["settled"] = n
        out[batch_id]["subsidy_fen"] = int(paid or 0)
    return out


async def _attendance_figures(batch_ids: list[int], start: datetime, end: datetime) -> dict[int, dict[str, int]]:
    """Check-ins in the period, and how many of them were manual (补签), per batch."""
    rows = (
        await Attendance.filter(
            voucher__batch_id__in=batch_ids, annulled_at=None, checked_in_at__gte=start, checked_in_at__lt=end
        )
        .group_by("voucher__batch_id")
        .annotate(checkins=Count("id"), manual_checkins=Count("id", _filter=Q(method="manual")))
        .values_list("voucher__batch_id", "checkins", "manual_checkins")
    )
    return {batch_id: {"checkins": int(n), "manual_checkins": int(m or 0)} for batch_id, n, m in rows}


async def _signup_figures(batch_ids: list[int], start: datetime, end: datetime) -> dict[int, dict[str, int]]:
    """Sign-ups made in the period, per batch of the voucher signed up with."""
    rows = (
        await Signup.filter(voucher__batch_id__in=batch_ids, created_at__gte=start, created_at__lt=end)
        .group_by("voucher__batch_id")
        .annotate(n=Count("id"))
        .values_list("voucher__batch_id", "n")
    )
    return {batch_id: {"signups": int(n)} for batch_id, n in rows}


async def counted_figures(batch_ids: list[int], period: Period) -> dict[int, dict[str, int]]:
    """The figures per batch counted from the rows themselves (SQLite; and the recount check)."""
    start, end = period.bounds()
    per_batch = await _voucher_figures(batch_ids, start, end)
    for source in (_claim_figures, _attendance_figures, evaluation_figures, _signup_figures):
        for batch_id, figures in (await source(batch_ids, start, end)).items():
            per_batch.setdefault(batch_id, {}).update(figures)
    return per_batch


async def rolled_up_figures(batch_ids: list[int], period: Period) -> dict[int, dict[str, int]]:
    """The figures per batch summed from `statistics_day`: a row per batch and day of the period."""
    first, after = period.days()
    sums = {f"sum_{name}": Sum(name) for name in FIGURES}
    rows = (
        await StatisticsDay.filter(batch_id__in=batch_ids, day__gte=first, day__lt=after)
        .group_by("batch_id")
        .annotate(**sums)
        .values("batch_id", *sums)
    )
    return {r["batch_id"]: {name: int(r[f"sum_{name}"] or 0) for name in FIGURES} for r in rows}


async def region_statistics(user: BureauUser, region_code: str | None, period: Period) -> list[RegionFigures]:
    """The region (default: the user's) first, then each region directly below it, every row
    rolled up over its subtree; read from the standby where there is one."""
    return await on_replica(_region_statistics, user, region_code, period)


async def _region_statistics(user: BureauUser, region_code: str | None, period: Period) -> list[RegionFigures]:
    root = await Region.get_or_none(code=region_code) if region_code else user.region
    if root is None:
        raise errors.NotFound("地区不存在")
    ensure_covers(user, root)
    children = await Region.filter(parent_id=root.code).order_by("code")
    rows = [RegionFigures(r.code, r.name, r.path) for r in (root, *children)]
    batches = await Batch.filter(region__path__startswith=root.path).values_list("id", "region__path")
    batch_path = dict(batches)
    per_batch: dict[int, dict[str, int]] = {}
    if batch_path and is_postgres(connections.get("default")):
        per_batch = await rolled_up_figures(list(batch_path), period)
    elif batch_path:
        per_batch = await counted_figures(list(batch_path), period)
    for batch_id, figures in per_batch.items():
        path = batch_path[batch_id]
        for row in rows:
            if path == row.path or path.startswith(row.path + "/"):
                for name, value in figures.items():
                    row.figures[name] += value
    targets = {
        t.region_id: t for t in await RegionTarget.filter(region_id__in=[r.code for r in rows], year=period.year)
    }
    for row in rows:
        if row.code in targets:
            row.issue_target = targets[row.code].issue_target
            row.use_target = targets[row.code].use_target
    return rows
