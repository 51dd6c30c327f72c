"""The platform enrols a voucher the trainee presents into one of its courses: a use (用券) as
at an institution's desk (`vouchers.scanning.enrol.bind_voucher` does it under the same locks
and checks: region, fit, capacity, one enrolment per person and class, the yearly policy), with
a history row and a notice to the trainee.

Enrolling the same voucher into the same course again answers the enrolment made (a retry after
a lost answer), and writes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from models import Enrolment, OnlineCourse, Voucher
from vouchers.common import errors
from vouchers.common.clock import local_date
from vouchers.common.history import Actor, history_row
from vouchers.common.outbox import outbox_row
from vouchers.platforms.auth import PlatformCaller
from vouchers.platforms.courses import check_takes, course_of
from vouchers.platforms.verify import check_usable_here, presented_voucher
from vouchers.scanning.enrol import bind_voucher, check_fits, check_not_in_class
from vouchers.services import Services


@dataclass(frozen=True)
class OnlineEnrolment:
    enrolment: Enrolment
    voucher: Voucher
    course: OnlineCourse
    repeated: bool  # the voucher was enrolled in this course already


def platform_actor(caller: PlatformCaller) -> Actor:
    return Actor("platform", str(caller.platform.id))


async def enrol_online(
    svc: Services, caller: PlatformCaller, code: str, course_code: str, now: datetime
) -> OnlineEnrolment:
    voucher = await presented_voucher(svc, code)
    course = await course_of(caller, course_code)
    klass = course.training_class
    earlier = await Enrolment.get_or_none(voucher_id=voucher.id, training_class_id=klass.id, annulled_at=None)
    if earlier is not None:
        return OnlineEnrolment(earlier, voucher, course, repeated=True)
    # Cheap refusals first, without locks; bind_voucher checks again under them.
    check_usable_here(caller, voucher, now)
    check_takes(caller.platform, klass)
    check_fits(voucher, klass)
    if klass.end_date < local_date(now):
        raise errors.ClassEnded()
    await check_not_in_class(voucher, klass.id)
    region = voucher.batch.region.path
    rule, scope = svc.policy.for_region(region), svc.policy.scope_of(region)
    try:
        async with in_transaction() as conn:
            locked, klass, enrolment, before = await bind_voucher(
                rule, scope, voucher.id, voucher.person_id, klass.id, now, conn
            )
            detail = {"institution_id": caller.institution.id, "class_id": klass.id, "online": True}
            actor = platform_actor(caller)
            await history_row(locked, "enrolled", actor, now, before, detail=detail).save(using_db=conn)
            await outbox_row(
                "voucher_enrolled_online",
                now,
                person_id=locked.person_id,
                voucher_id=locked.id,
                payload={"institution": caller.name, "class_name": klass.name},
            ).save(using_db=conn)
    except errors.AlreadyEnrolled:
        # A retry that overtook the first request: it enrolled the voucher here a moment ago.
        earlier = await Enrolment.get_or_none(voucher_id=voucher.id, training_class_id=klass.id, annulled_at=None)
        if earlier is None:
            raise
        return OnlineEnrolment(earlier, voucher, course, repeated=True)
    course.training_class = klass
    return OnlineEnrolment(enrolment, locked, course, repeated=False)
