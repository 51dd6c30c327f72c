"""Self-declared groups (自行申报的人员类别): one per person and local year.

Where a batch lets trainees declare their group, the first group a person declares in a year is
recorded on the person. Claiming as a different group later that year needs the bureau's word:
an eligibility list of this year that names the person with that group. Otherwise the claim is
refused, and the message tells the trainee to have the bureau list them.

The check runs after the Redis gate reserved the claim (a sold-out or repeated claim declares
nothing) and before the voucher is written, in statements of its own: the claim's group writer
stays as fast as before. unique(person, year) settles two first declarations at the same
instant: one inserts, the other reads what won and is compared with it. A claim whose write
fails after this step leaves its declaration standing, as a declaration made.
"""

from __future__ import annotations

import hmac
from datetime import datetime

from tortoise.exceptions import IntegrityError

from models import DeclaredGroup, EligibilityEntry, Person
from vouchers.common import errors
from vouchers.common.clock import LOCAL_TZ, local_year_bounds
from vouchers.common.personal_data import PersonalDataKeys


def _context(person_id: int, year: int) -> bytes:
    return f"declared-group:{person_id}:{year}".encode()


async def declare_group(keys: PersonalDataKeys, person_id: int, group: str, batch_id: int, now: datetime) -> None:
    """Records the year's first declaration, or checks `group` against it (raises GroupConflict)."""
    year = now.astimezone(LOCAL_TZ).year
    context = _context(person_id, year)
    # An HMAC of person, year and group: equal groups of two people do not look alike.
    digest = keys.id_hash(context.decode() + ":" + group)
    recorded = await DeclaredGroup.get_or_none(person_id=person_id, year=year)
    if recorded is None:
        try:
            await DeclaredGroup.create(
                person_id=person_id,
                year=year,
                group_hash=digest,
                group_cipher=keys.encrypt(group, context),
                batch_id=batch_id,
                declared_at=now,
            )
            return
        except IntegrityError:  # a claim of the same person declared first, just now
            recorded = await DeclaredGroup.get(person_id=person_id, year=year)
    if hmac.compare_digest(recorded.group_hash, digest):
        return
    if not await _listed(person_id, group, now):
        raise errors.GroupConflict()


async def _listed(person_id: int, group: str, now: datetime) -> bool:
    """Whether a bureau's eligibility list of this year names the person with this group."""
    start, end = local_year_bounds(now)
    person = await Person.get(id=person_id)
    return await EligibilityEntry.exists(id_hash=person.id_hash, group=group, created_at__gte=start, created_at__lt=end)
