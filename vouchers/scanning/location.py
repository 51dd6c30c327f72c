"""Location check-in: the trainee scans the rotating class code in the classroom and sends
where they are. The position is converted to each site's datum and measured; inside
`radius + min(accuracy, cap)` of one of the class's sites is a check-in. Every attempt is kept
with raw and converted coordinates, accuracy and distance; one outside the fence is refused
with the distance and told to the institution."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models import ChannelAccount, Enrolment, LocationCheckin, TeachingSite, TrainingClass, Voucher
from vouchers.common import errors
from vouchers.common.clock import utcnow
from vouchers.institutions.notices import queue_anomaly
from vouchers.institutions.spec import LocationCheckinSpec
from vouchers.qr import codes as qr
from vouchers.scanning.checkin import attend, current_lesson
from vouchers.scanning.checks import check_current
from vouchers.scanning.coordinates import allowed_m, convert, distance_m
from vouchers.services import Services


@dataclass(frozen=True)
class LocationResult:
    already: bool
    lesson_id: int
    class_name: str
    site_name: str
    distance_m: float
    allowed_m: float
    checked_in_at: datetime


async def location_checkin(svc: Services, account: ChannelAccount, spec: LocationCheckinSpec) -> LocationResult:
    if account.person_id is None:
        raise errors.IdentityRequired()
    subject = qr.read(svc.qr, spec.payload, qr.CLASS)
    training_class = await TrainingClass.get_or_none(id=int(subject.ident))
    if training_class is None:
        raise errors.ScanClassNotFound()
    now = utcnow()
    voucher = await _enrolled_voucher(account.person_id, training_class, now)
    lesson = await current_lesson(training_class, now)
    sites = await TeachingSite.filter(id__in=training_class.site_ids)
    if not sites:
        raise errors.ScanClassNotFound("该培训班未设置教学点")

    measured = []
    for site in sites:
        lat, lng = convert(spec.latitude, spec.longitude, str(spec.coord_type), str(site.datum))
        measured.append((distance_m(lat, lng, site.latitude, site.longitude), site, lat, lng))
    distance, site, site_lat, site_lng = min(measured, key=lambda m: m[0])
    allowed = allowed_m(site.radius_m, spec.accuracy, svc.fence_accuracy_cap_m)
    inside = distance <= allowed
    attempt = dict(
        voucher_id=voucher.id,
        lesson_id=lesson.id,
        site_id=site.id,
        coord_type=spec.coord_type,
        latitude=spec.latitude,
        longitude=spec.longitude,
        accuracy_m=spec.accuracy,
        site_latitude=site_lat,
        site_longitude=site_lng,
        distance_m=round(distance, 1),
        allowed_m=allowed,
        inside=inside,
        at=now,
    )
    if not inside:
        async with in_transaction() as conn:
            await LocationCheckin.create(**attempt, using_db=conn)
            await queue_anomaly(
                conn,
                training_class.institution_id,
                "outside_fence",
                now,
                {
                    "class_id": training_class.id,
                    "class_name": training_class.name,
                    "site_name": site.name,
                    "voucher_code": voucher.code,
                    "distance_m": round(distance),
                },
            )
        raise errors.OutsideFence(
            f"您距离教学点“{site.name}”约 {distance:.0f} 米，超出签到范围（{allowed:.0f} 米）",
            distance_m=round(distance),
            allowed_m=round(allowed),
        )
    for attempt_no in (1, 2):
        try:
            async with in_transaction() as conn:
                kept = await LocationCheckin.create(**attempt, using_db=conn)
                row, new = await attend(conn, lesson, voucher, "location", now, location_checkin_id=kept.id)
            break
        except IntegrityError:  # a concurrent check-in of the same voucher at the same lesson
            if attempt_no == 2:
                raise
    return LocationResult(
        already=not new,
        lesson_id=lesson.id,
        class_name=training_class.name,
        site_name=site.name,
        distance_m=round(distance, 1),
        allowed_m=allowed,
        checked_in_at=row.checked_in_at,
    )


async def _enrolled_voucher(person_id: int, training_class: TrainingClass, now: datetime) -> Voucher:
    enrolment = (
        await Enrolment.filter(training_class_id=training_class.id, annulled_at=None, voucher__person_id=person_id)
        .prefetch_related("voucher")
        .first()
    )
    if enrolment is None:
        raise errors.NotEnrolled("您未以培训券报名该培训班")
    check_current(enrolment.voucher, now)
    return enrolment.voucher
