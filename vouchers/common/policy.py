"""Regional policy: limits that differ between cities are configuration, not code.

`[policy]` holds the default rule; `[policy.regions."<code>"]` overrides it for a region and
everything below it. The claim step uses `check_claim`; the enrol step (institution issue)
reuses `check_use`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tortoise.expressions import Q

from vouchers.common import errors
from vouchers.common.clock import local_year_bounds

if TYPE_CHECKING:
    from models import Batch


@dataclass(frozen=True)
class PolicyRule:
    # Chongqing: at most 3 uses (enrolments) per person a year. 0 means no limit.
    max_uses_per_year: int = 0
    # Wuxi: a person may use a voucher for the same occupation only once a year.
    one_use_per_occupation_per_year: bool = False
    # Chongqing: each voucher type may be claimed once a year. 0 means no limit.
    max_claims_per_voucher_type_per_year: int = 0
    # Chongqing: vouchers enrolled but not completed by the training deadline are voided.
    void_uncompleted_at_deadline: bool = False
    # The share of a class's lessons a trainee attended before the institution may report them
    # complete (e.g. 0.8). 0.0 keeps the rule of before: one attended lesson is enough.
    min_attendance_share: float = 0.0


@dataclass(frozen=True)
class Policy:
    default: PolicyRule = field(default_factory=PolicyRule)
    regions: dict[str, PolicyRule] = field(default_factory=dict)

    def for_region(self, region_path: str) -> PolicyRule:
        """The rule of the nearest region on the path (`320000/320200/320281`) that has one."""
        for code in reversed(region_path.split("/")):
            if code in self.regions:
                return self.regions[code]
        return self.default

    def scope_of(self, region_path: str) -> str | None:
        """The path of the region whose table gives the rule: its limits count that region's
        vouchers only (Chongqing's "once per type a year" is about Chongqing's vouchers). None
        for the default rule, which counts every voucher."""
        codes = region_path.split("/")
        for end in range(len(codes), 0, -1):
            if codes[end - 1] in self.regions:
                return "/".join(codes[:end])
        return None


def _in_scope(query: Any, scope: str | None) -> Any:
    if scope is None:
        return query
    return query.filter(Q(batch__region__path=scope) | Q(batch__region__path__startswith=scope + "/"))


def limits_claims(rule: PolicyRule) -> bool:
    """Whether `check_claim` can refuse anything under this rule (else the claim skips it)."""
    return bool(rule.max_claims_per_voucher_type_per_year or rule.max_uses_per_year)


async def check_claim(
    rule: PolicyRule,
    person_id: int,
    batch: Batch,
    now: datetime,
    conn: Any,
    valid_until: datetime | None = None,
    scope: str | None = None,
) -> None:
    """Claim-time limits. The yearly use limit is a use-time rule (`check_use`); a claim is refused
    for it only when the voucher would be valid this year alone (`valid_until`), so it could never
    be used: one valid into next year may be used then."""
    from models import Voucher, VoucherStatus

    start, end = local_year_bounds(now)
    if rule.max_claims_per_voucher_type_per_year:
        same_type = await (
            _in_scope(
                Voucher.filter(
                    person_id=person_id,
                    voucher_type=batch.voucher_type,
                    claimed_at__gte=start,
                    claimed_at__lt=end,
                ),
                scope,
            )
            .exclude(status__in=[VoucherStatus.REVOKED, VoucherStatus.RETURNED])  # not the person's doing / given back
            .using_db(conn)
            .count()
        )
        if same_type >= rule.max_claims_per_voucher_type_per_year:
            raise errors.TypeLimit()
    if rule.max_uses_per_year and (valid_until is None or valid_until <= end):
        await _check_use_count(rule, person_id, start, end, conn, scope)


async def check_use(
    rule: PolicyRule, person_id: int, occupation: str | None, now: datetime, conn: Any, scope: str | None = None
) -> None:
    """Called when an institution enrols a trainee with a voucher (a use, 用券)."""
    from models import Voucher, VoucherStatus

    start, end = local_year_bounds(now)
    if rule.max_uses_per_year:
        await _check_use_count(rule, person_id, start, end, conn, scope)
    if rule.one_use_per_occupation_per_year and occupation:
        used = (
            await _in_scope(
                Voucher.filter(person_id=person_id, used_occupation=occupation, used_at__gte=start, used_at__lt=end),
                scope,
            )
            .exclude(status=VoucherStatus.VOIDED)
            .using_db(conn)
            .exists()
        )
        if used:
            raise errors.OccupationLimit()


async def _check_use_count(
    rule: PolicyRule, person_id: int, start: datetime, end: datetime, conn: Any, scope: str | None
) -> None:
    from models import Voucher, VoucherStatus

    # A voided voucher (training not completed in time, Chongqing) does not count as used.
    uses = (
        await _in_scope(Voucher.filter(person_id=person_id, used_at__gte=start, used_at__lt=end), scope)
        .exclude(status=VoucherStatus.VOIDED)
        .using_db(conn)
        .count()
    )
    if uses >= rule.max_uses_per_year:
        raise errors.YearlyLimit()
