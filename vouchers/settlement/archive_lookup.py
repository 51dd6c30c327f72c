"""A bureau looks a person's archive up by ID number: only persons holding a voucher of a batch
in the bureau's regions (its own and those below: a province reads its cities'). An unknown
number and one outside the regions get the same answer, so the look-up does not tell whether
someone exists elsewhere. Every look-up is recorded with who asked (`ArchiveLookup`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q

from models import ArchiveLookup, BureauUser, Person, Voucher
from vouchers.common import errors
from vouchers.common.personal_data import mask_id_number, normalize_id_number
from vouchers.services import Services
from vouchers.settlement.archive import Archive, archive_of


def in_regions(user: BureauUser) -> Q:
    """Vouchers of batches in the user's region or below it."""
    path = user.region.path
    return Q(batch__region__path=path) | Q(batch__region__path__startswith=path + "/")


async def lookup_archive(svc: Services, user: BureauUser, id_number: str) -> Archive:
    number = normalize_id_number(id_number)
    person = await Person.get_or_none(id_hash=svc.keys.id_hash(number))
    in_scope = person is not None and await Voucher.filter(in_regions(user), person_id=person.id).exists()
    await ArchiveLookup.create(
        bureau_user_id=user.id, region_path=user.region.path, id_masked=mask_id_number(number), shown=in_scope
    )
    if person is None or not in_scope:
        raise errors.NotFound("在您管辖的地区没有该人员的培训档案")
    return await archive_of(svc.keys, person)


@dataclass
class LookupEntry:
    username: str
    display_name: str
    region: str
    id_number: str  # masked
    shown: bool
    at: datetime


async def archive_lookups(user: BureauUser, limit: int, offset: int) -> list[LookupEntry]:
    """The look-ups made by users of the bureau's region and the regions below, newest first."""
    path = user.region.path
    rows = (
        await ArchiveLookup.filter(Q(region_path=path) | Q(region_path__startswith=path + "/"))
        .order_by("-id")
        .offset(offset)
        .limit(limit)
        .prefetch_related("bureau_user")
    )
    return [
        LookupEntry(
            username=r.bureau_user.username,
            display_name=r.bureau_user.display_name,
            region=r.bureau_user.region_id,
            id_number=r.id_masked,
            shown=r.shown,
            at=r.created_at,
        )
        for r in rows
    ]
