"""Which of a trainee's vouchers can pay for a training class: the one rule the catalogue shows
("which of my vouchers fits") and sign-up enforces.

A voucher fits a class when it is usable (claimed, within its validity), one of its batch's
usable regions is the institution's region or above it, the class's project type is one of the
batch's (where the batch names any), and the class's occupation is the batch's (where the batch
names one). These are the checks the registration scan makes too (vouchers/scanning/checks.py,
enrol.py), so a sign-up that fits is one the scan will accept.

`misfit` is the rule; `fitting_classes` is the same rule as a query over classes, so the
catalogue can filter and page in the database. tests/vouchers/catalogue/test_fit.py holds the
two to the same answers.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q

from models import Batch, Region, TrainingClass, Voucher, VoucherStatus
from vouchers.common import errors


def region_covers(usable_codes: list[str], institution_region_path: str) -> bool:
    """One of the usable regions is the institution's region or above it (on its path)."""
    return not set(institution_region_path.split("/")).isdisjoint(usable_codes)


def usable_codes(batch: Batch) -> list[str]:
    return list(batch.usable_regions or [batch.region_id])


def misfit(
    voucher: Voucher, training_class: TrainingClass, institution_region_path: str, now: datetime
) -> type[errors.DomainError] | None:
    """Why `voucher` (its batch fetched) cannot pay for `training_class`, None when it can."""
    batch: Batch = voucher.batch
    if voucher.status != VoucherStatus.CLAIMED or now >= voucher.valid_until:
        return errors.SignupVoucherUnusable
    if not region_covers(usable_codes(batch), institution_region_path):
        return errors.SignupWrongRegion
    if batch.project_types and training_class.project_type not in batch.project_types:
        return errors.SignupWrongProject
    if batch.occupation and training_class.occupation != batch.occupation:
        return errors.SignupWrongOccupation
    return None


def fits(voucher: Voucher, training_class: TrainingClass, institution_region_path: str, now: datetime) -> bool:
    return misfit(voucher, training_class, institution_region_path, now) is None


async def usable_vouchers(person_id: int, now: datetime) -> list[Voucher]:
    """The person's vouchers that could pay for some class now, with their batches."""
    return (
        await Voucher.filter(person_id=person_id, status=VoucherStatus.CLAIMED, valid_until__gt=now)
        .prefetch_related("batch")
        .order_by("valid_until", "id")  # the one ending first is offered first
    )


async def fitting_classes(vouchers: list[Voucher]) -> Q | None:
    """The classes (a TrainingClass query filter) that at least one of the usable `vouchers` fits;
    None when none can (no voucher)."""
    codes = {code for v in vouchers for code in usable_codes(v.batch)}
    paths = dict(await Region.filter(code__in=list(codes)).values_list("code", "path")) if codes else {}
    alternatives = []
    for voucher in vouchers:
        batch = voucher.batch
        region = Q(
            *[
                Q(institution__region__path=paths[code]) | Q(institution__region__path__startswith=paths[code] + "/")
                for code in usable_codes(batch)
                if code in paths
            ],
            join_type=Q.OR,
        )
        if not region.children:
            continue  # no region of the batch exists: it fits nothing
        rule = region
        if batch.project_types:
            rule &= Q(project_type__in=list(batch.project_types))
        if batch.occupation:
            rule &= Q(occupation=batch.occupation)
        alternatives.append(rule)
    return Q(*alternatives, join_type=Q.OR) if alternatives else None
