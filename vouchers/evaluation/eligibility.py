"""Which of a trainee's vouchers can be evaluated, and what the evaluation is about.

A voucher is evaluated once the training is over: its results were filed (completed) or settled,
or it is still enrolled and the class's last lesson has ended (a class without lessons: its end
date has passed), since results can take weeks to be filed. The evaluation is about the class of
the voucher's live enrolment and that class's institution."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.functions import Max

from models import ChannelAccount, Enrolment, Evaluation, Lesson, TrainingClass, Voucher, VoucherStatus
from vouchers.common import errors
from vouchers.common.clock import end_of_local_day

OVER = (VoucherStatus.COMPLETED, VoucherStatus.SETTLED)
CANDIDATES = (VoucherStatus.ENROLLED, *OVER)


@dataclass(frozen=True)
class Subject:
    voucher: Voucher
    training_class: TrainingClass  # with its institution
    ended_at: datetime | None  # the class's last lesson's end (or its end date's 24:00)

    def ready(self, now: datetime) -> bool:
        if self.voucher.status in OVER:
            return True
        return self.ended_at is not None and self.ended_at <= now


async def subjects(vouchers: list[Voucher]) -> list[Subject]:
    """The vouchers among `vouchers` that went to a class, each with that class."""
    candidates = [v for v in vouchers if v.status in CANDIDATES]
    if not candidates:
        return []
    enrolments = await Enrolment.filter(voucher_id__in=[v.id for v in candidates], annulled_at=None).order_by(
        "enrolled_at", "id"
    )
    class_of = {e.voucher_id: e.training_class_id for e in enrolments}  # the latest wins
    classes = {
        c.id: c for c in await TrainingClass.filter(id__in=set(class_of.values())).prefetch_related("institution")
    }
    last_lessons = dict(
        await Lesson.filter(training_class_id__in=list(classes))
        .group_by("training_class_id")
        .annotate(last=Max("ends_at"))
        .values_list("training_class_id", "last")
    )
    found = []
    for voucher in candidates:
        klass = classes.get(class_of.get(voucher.id, -1))
        if klass is None:
            continue
        ended = last_lessons.get(klass.id) or end_of_local_day(klass.end_date)
        found.append(Subject(voucher, klass, _aware(ended)))
    return found


async def pending(account: ChannelAccount, now: datetime) -> list[Subject]:
    """The person's vouchers that can be evaluated now and have not been, the latest ended first."""
    if account.person_id is None:
        raise errors.IdentityRequired()
    person_id = account.person_id
    vouchers = await Voucher.filter(person_id=person_id, status__in=CANDIDATES).prefetch_related("batch")
    done = set(await Evaluation.filter(person_id=person_id).values_list("voucher_id", flat=True))
    ready = [s for s in await subjects([v for v in vouchers if v.id not in done]) if s.ready(now)]
    return sorted(ready, key=lambda s: (s.ended_at or now, s.voucher.id), reverse=True)


def _aware(moment: datetime) -> datetime:
    """SQLite hands MAX() back as text-parsed naive UTC; PostgreSQL as an aware datetime."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
