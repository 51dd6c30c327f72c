"""Enrol a trainee with a voucher (用券): bind the voucher to a class of the institution.

Region, project type, occupation, capacity and the regional policy (yearly limits, one use per
occupation) are checked under row locks, taken in one order (person, voucher, class): two
scanners enrolling the same trainee at once enrol once, and two enrolments of the same person's
different vouchers cannot both slip past a yearly limit.

A person is enrolled in a class once, whatever voucher they bring (`already_in_class`): checked
under the person's lock, and held by the partial unique index over (person, class) of active
enrolments, which a path around the lock would hit.

The enrolment is the confirmation of the voucher's pending sign-up for the class, in the same
transaction (vouchers/catalogue/confirm.py); where the class holds places for sign-ups, the other
pending sign-ups take places a walk-in cannot have.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from models import Enrolment, Person, TrainingClass, Voucher, VoucherStatus
from models.sql.scan_rows import ScannedVoucher, Scanner
from vouchers.catalogue.confirm import signups_on_enrolment
from vouchers.catalogue.places import held_places
from vouchers.common import errors, policy
from vouchers.common.clock import local_date
from vouchers.common.history import Actor, history_row
from vouchers.common.outbox import outbox_row
from vouchers.institutions.notices import enrolment_notice
from vouchers.institutions.spec import ScanSpec
from vouchers.scanning.checks import check_current, check_region
from vouchers.scanning.outcome import Outcome, Write
from vouchers.scanning.summary import voucher_summary
from vouchers.services import Services


async def class_of(staff: Scanner, class_id: int | None) -> TrainingClass:
    if class_id is None:
        raise errors.ClassRequired()
    found = await TrainingClass.get_or_none(id=class_id, institution_id=staff.institution_id)
    if found is None:
        raise errors.ScanClassNotFound()
    return found


def check_fits(voucher: ScannedVoucher, training_class: TrainingClass) -> None:
    """The voucher is for this training: project type and occupation, where the batch names them."""
    batch = voucher.batch
    if batch.project_types and training_class.project_type not in batch.project_types:
        raise errors.WrongProject()
    if batch.occupation and training_class.occupation != batch.occupation:
        raise errors.WrongOccupation()


async def enrol(svc: Services, staff: Scanner, spec: ScanSpec, voucher: ScannedVoucher, now: datetime) -> Write:
    training_class = await class_of(staff, spec.class_id)
    # Cheap refusals first, without locks; everything is checked again under the locks.
    check_current(voucher, now)
    check_region(voucher, staff.institution)
    check_fits(voucher, training_class)
    if training_class.end_date < local_date(now):
        raise errors.ClassEnded()
    if voucher.status in (VoucherStatus.ENROLLED, VoucherStatus.COMPLETED):
        # Read after the scan arrived, so the locked check below would say the same.
        raise errors.AlreadyEnrolled()
    await check_not_in_class(voucher, training_class.id)
    rule = svc.policy.for_region(voucher.batch.region.path)
    scope = svc.policy.scope_of(voucher.batch.region.path)

    async def write(conn: Any) -> Outcome:
        locked, klass, enrolment, before = await bind_voucher(
            rule, scope, voucher.id, voucher.person_id, training_class.id, now, conn
        )
        voucher.status, voucher.used_at, voucher.used_occupation = locked.status, locked.used_at, locked.used_occupation
        actor = Actor("institution", str(staff.id))
        detail = {"institution_id": staff.institution_id, "class_id": klass.id, "nonce": spec.nonce}
        await history_row(locked, "enrolled", actor, now, before, detail=detail).save(using_db=conn)
        signup = await signups_on_enrolment(conn, locked, klass.id, klass.name, enrolment.id, actor, now)
        if signup is None:  # else the trainee is told their sign-up was confirmed
            await outbox_row(
                "voucher_enrolled",
                now,
                person_id=locked.person_id,
                voucher_id=locked.id,
                payload={"institution": staff.institution.name, "class_name": klass.name},
            ).save(using_db=conn)
        summary = voucher_summary(voucher, svc.masked_holders, now)
        await enrolment_notice(staff.institution_id, klass, summary, now, locked.id, enrolment.id).save(using_db=conn)
        return Outcome(message=f"用券成功：已报名 {klass.name}", class_id=klass.id, links=[enrolment])

    return write


async def bind_voucher(
    rule: policy.PolicyRule,
    scope: str | None,
    voucher_id: int,
    person_id: int,  # the holder: a voucher is never transferred
    class_id: int,
    now: datetime,
    conn: Any,
) -> tuple[Voucher, TrainingClass, Enrolment, str]:
    """The use itself, in the caller's transaction: under the person's, the voucher's and the
    class's row locks (in that order) everything is checked again, then the voucher is enrolled and
    the class counts one more. -> (the voucher, the class, the enrolment, the status before).
    The caller writes the history and the notices (a scan here, an online platform elsewhere)."""
    await Person.select_for_update().using_db(conn).get(id=person_id)
    locked = await Voucher.select_for_update().using_db(conn).get(id=voucher_id)
    if locked.status in (VoucherStatus.ENROLLED, VoucherStatus.COMPLETED):
        raise errors.AlreadyEnrolled()
    check_current(locked, now)
    await check_not_in_class(locked, class_id, conn)
    klass = await TrainingClass.select_for_update().using_db(conn).get(id=class_id)
    # Places a class holds for pending sign-ups count, except this voucher's own sign-up.
    if klass.enrolled + await held_places(klass, conn, except_voucher_id=locked.id) >= klass.capacity:
        raise errors.ClassFull()
    try:
        await policy.check_use(rule, locked.person_id, klass.occupation, now, conn, scope)
    except errors.YearlyLimit:
        raise errors.ScanYearlyLimit() from None
    except errors.OccupationLimit:
        raise errors.ScanOccupationLimit() from None

    before = str(locked.status)
    locked.status = VoucherStatus.ENROLLED
    locked.used_at = now
    locked.used_occupation = klass.occupation
    await locked.save(using_db=conn, update_fields=["status", "used_at", "used_occupation", "updated_at"])
    await TrainingClass.filter(id=klass.id).using_db(conn).update(enrolled=F("enrolled") + 1)
    return locked, klass, await _enrolment(locked, klass.id, now, conn), before


async def check_not_in_class(voucher: Voucher | ScannedVoucher, class_id: int, conn: Any = None) -> None:
    """Refuse a person enrolled (not annulled) in the class already: with this voucher (a repeat
    scan, read before that enrolment committed), or with another of theirs."""
    found = (
        await Enrolment.filter(person_id=voucher.person_id, training_class_id=class_id, annulled_at=None)
        .using_db(conn)
        .first()
        .values_list("voucher_id", flat=True)
    )
    if found is not None:
        raise errors.AlreadyEnrolled() if found == voucher.id else errors.AlreadyInClass()


async def _enrolment(voucher: Voucher, class_id: int, now: datetime, conn: Any) -> Enrolment:
    try:
        return await Enrolment.create(
            voucher_id=voucher.id,
            person_id=voucher.person_id,
            training_class_id=class_id,
            enrolled_at=now,
            using_db=conn,
        )
    except IntegrityError:
        # enrolment_one_per_person: enrolled meanwhile with another voucher, past the person's lock
        raise errors.AlreadyInClass() from None
