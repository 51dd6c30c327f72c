"""Sign up (报名) for a class with one of my vouchers that fits it.

The voucher must be the trainee's, usable and fit the class (`vouchers.catalogue.fit`, the rule
the catalogue shows); the class must be open (first day not passed, institution not suspended)
with a place left; a voucher has one pending sign-up at a time, and a person signs up for a class
once (a cancelled, declined or lapsed sign-up does not count). The regional yearly limits are
checked now too, so a sign-up is not accepted that the registration scan would refuse.

Locks in the order every sign-up change takes (voucher, then class): the class's row lock makes
the places count hold under concurrent sign-ups; two partial unique indexes (migration
0022_signups) are the last guard of "one pending per voucher" and "once per person and class".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models import (
    ChannelAccount,
    Enrolment,
    Institution,
    Person,
    Signup,
    SignupStatus,
    TrainingClass,
    Voucher,
)
from vouchers.catalogue.fit import misfit
from vouchers.catalogue.lapse import lapse, lapse_reason, open_until_day
from vouchers.catalogue.places import places_left
from vouchers.common import errors, policy
from vouchers.common.clock import utcnow
from vouchers.common.history import Actor, history_row
from vouchers.institutions.notices import signup_notice
from vouchers.services import Services

SIGNED_UP = "signed_up"
ACTIVE = (SignupStatus.PENDING, SignupStatus.CONFIRMED)


def check_open(training_class: TrainingClass, institution: Institution, now: datetime) -> None:
    """The class takes sign-ups: its first day has not passed and its institution is not suspended."""
    if institution.suspended_at is not None or training_class.start_date < open_until_day(now):
        raise errors.SignupClosed()


def check_fit(voucher: Voucher, training_class: TrainingClass, institution: Institution, now: datetime) -> None:
    refusal = misfit(voucher, training_class, institution.region.path, now)
    if refusal is not None:
        raise refusal()


async def sign_up(svc: Services, account: ChannelAccount, class_id: int, voucher_code: str) -> Signup:
    if account.person_id is None:
        raise errors.IdentityRequired()
    person_id = account.person_id
    now = utcnow()
    # Someone else's voucher is "not found": codes must not be probeable.
    voucher = await Voucher.get_or_none(code=voucher_code, person_id=person_id).prefetch_related("batch__region")
    if voucher is None:
        raise errors.NotFound("培训券不存在")
    training_class = await TrainingClass.get_or_none(id=class_id).prefetch_related("institution__region")
    if training_class is None:
        raise errors.ClassNotFound()
    institution = training_class.institution
    # Cheap refusals first, without locks; everything is checked again under them.
    check_open(training_class, institution, now)
    check_fit(voucher, training_class, institution, now)
    rule = svc.policy.for_region(voucher.batch.region.path)
    scope = svc.policy.scope_of(voucher.batch.region.path)

    async with in_transaction() as conn:
        locked = await Voucher.select_for_update().using_db(conn).get(id=voucher.id)
        locked.batch = voucher.batch
        check_fit(locked, training_class, institution, now)
        await _check_voucher_free(conn, locked, class_id, now)
        await _check_not_in_class(conn, person_id, class_id)
        await policy.check_use(rule, person_id, training_class.occupation, now, conn, scope)
        klass = await TrainingClass.select_for_update().using_db(conn).get(id=class_id)
        check_open(klass, institution, now)  # its dates may have been edited meanwhile
        if await places_left(klass, conn) <= 0:
            raise errors.SignupClassFull()
        signup = await _insert(conn, locked, klass, person_id, now)
        actor = Actor("trainee", str(account.id))
        detail = {"signup_id": signup.id, "class_id": klass.id, "institution_id": klass.institution_id}
        await history_row(locked, SIGNED_UP, actor, now, str(locked.status), detail=detail).save(using_db=conn)
        person = await Person.get(id=person_id).using_db(conn)
        holder_name, _ = svc.masked_holders.of(person.name_cipher, person.id_cipher)
        summary = {"code": locked.code, "holder_name": holder_name, "title": voucher.batch.title}
        await signup_notice(klass, summary, now, locked.id, signup.id).save(using_db=conn)
    signup.training_class = klass
    signup.voucher = locked
    return signup


async def _check_voucher_free(conn: Any, voucher: Voucher, class_id: int, now: datetime) -> None:
    """The voucher's pending sign-up, if any, must have lapsed (then it is written so here)."""
    pending = await Signup.filter(voucher_id=voucher.id, status=SignupStatus.PENDING).using_db(conn).first()
    if pending is None:
        return
    other_class = await TrainingClass.get(id=pending.training_class_id).using_db(conn)
    reason = lapse_reason(pending, other_class, voucher, now)
    if reason is None:
        raise errors.AlreadySignedUp() if pending.training_class_id == class_id else errors.VoucherSignedUp()
    await lapse(conn, pending, voucher, reason, now)


async def _check_not_in_class(conn: Any, person_id: int, class_id: int) -> None:
    mine = Signup.filter(person_id=person_id, training_class_id=class_id, status__in=ACTIVE)
    if await mine.using_db(conn).exists():
        raise errors.AlreadySignedUp()
    enrolled = Enrolment.filter(person_id=person_id, training_class_id=class_id, annulled_at=None)
    if await enrolled.using_db(conn).exists():
        raise errors.AlreadySignedUp("您已在此培训班报名用券，无需再报名")


async def _insert(conn: Any, voucher: Voucher, klass: TrainingClass, person_id: int, now: datetime) -> Signup:
    try:
        return await Signup.create(
            voucher_id=voucher.id,
            training_class_id=klass.id,
            person_id=person_id,
            institution_id=klass.institution_id,
            status=SignupStatus.PENDING,
            created_at=now,
            using_db=conn,
        )
    except IntegrityError:
        # Past the checks under the voucher's lock: the person signed up for this class with
        # another voucher at the same moment (signup_one_per_person_and_class).
        raise errors.AlreadySignedUp() from None
