"""Notices to institutions, queued as outbox rows in the caller's transaction.

The rows are addressed to the institution (`payload.institution_id`); the worker delivers them
to its staff bound to the Official Account. Kinds:

- `institution_enrolment`: a trainee enrolled with a voucher;
- `institution_anomaly`: outside the fence, stale or forged QR codes. At most one notice per
  institution, kind of anomaly, subject and hour reaches each recipient, so a flood of forged
  codes is one notice (`queue_anomaly`). The subject is the voucher, else the class, else the
  scanning staff member (a forged code names nothing);
- `institution_daily_summary`: per class and local day, enrolled and checked in;
- `institution_signup`: a trainee signed up for a class (vouchers/catalogue/sign_up.py).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader
from tortoise.exceptions import IntegrityError
from tortoise.functions import Count

from models import Attendance, Lesson, OutboxMessage, TrainingClass
from vouchers.common.clock import LOCAL_TZ, end_of_local_day
from vouchers.common.outbox import outbox_row, queue_unless_reached
from vouchers.institutions.recipients import current_recipients

ENROLMENT = "institution_enrolment"
ANOMALY = "institution_anomaly"
DAILY_SUMMARY = "institution_daily_summary"
SIGNUP = "institution_signup"


def enrolment_notice(
    institution_id: int,
    training_class: TrainingClass,
    summary: dict[str, Any],
    at: datetime,
    voucher_id: int,
    enrolment_id: int,
) -> OutboxMessage:
    return outbox_row(
        ENROLMENT,
        at,
        voucher_id=voucher_id,
        payload={
            "institution_id": institution_id,
            "class_id": training_class.id,
            "class_name": training_class.name,
            "voucher_code": summary["code"],
            "holder_name": summary["holder_name"],  # masked
            "title": summary["title"],
        },
        dedupe_key=f"{ENROLMENT}:{enrolment_id}",
    )


def signup_notice(
    training_class: TrainingClass, summary: dict[str, Any], at: datetime, voucher_id: int, signup_id: int
) -> OutboxMessage:
    return outbox_row(
        SIGNUP,
        at,
        voucher_id=voucher_id,
        payload={
            "institution_id": training_class.institution_id,
            "class_id": training_class.id,
            "class_name": training_class.name,
            "start_date": training_class.start_date.isoformat(),
            "voucher_code": summary["code"],
            "holder_name": summary["holder_name"],  # masked
            "title": summary["title"],
        },
        dedupe_key=f"{SIGNUP}:{signup_id}",
    )


def anomaly_notice(institution_id: int, anomaly: str, at: datetime, detail: dict[str, Any]) -> OutboxMessage:
    hour = at.astimezone(LOCAL_TZ).strftime("%Y%m%d%H")
    return outbox_row(
        ANOMALY,
        at,
        payload={"institution_id": institution_id, "anomaly": anomaly, **detail},
        dedupe_key=f"{ANOMALY}:{institution_id}:{anomaly}:{_subject(detail)}:{hour}",
    )


def _subject(detail: dict[str, Any]) -> str:
    """What the anomaly is about: two anomalies about different things never share a key."""
    for prefix, field in (("v", "voucher_code"), ("c", "class_id"), ("s", "staff_id")):
        if detail.get(field) is not None:
            return f"{prefix}{detail[field]}"
    raise ValueError("an anomaly names its voucher, class or staff member")


async def queue_anomaly(conn: Any, institution_id: int, anomaly: str, at: datetime, detail: dict[str, Any]) -> bool:
    """Queue the anomaly notice in the caller's transaction, unless this hour's notice about the
    same thing is pending or already reached every current recipient. -> whether it was queued."""
    row = anomaly_notice(institution_id, anomaly, at, detail)
    return await queue_unless_reached(conn, row, await current_recipients(institution_id, conn))


async def queue_daily_summaries(day: date, at: datetime) -> int:
    """One summary per class that had a lesson on the local `day`. Idempotent (dedupe key)."""
    start = end_of_local_day(day - timedelta(days=1))
    end = end_of_local_day(day)
    lessons = await Lesson.filter(starts_at__gte=start, starts_at__lt=end).prefetch_related("training_class")
    by_class: dict[int, list[Lesson]] = {}
    for lesson in lessons:
        by_class.setdefault(lesson.training_class_id, []).append(lesson)
    queued = 0
    for class_id, class_lessons in by_class.items():
        training_class = class_lessons[0].training_class
        present = dict(
            await Attendance.filter(lesson_id__in=[x.id for x in class_lessons], annulled_at=None)
            .group_by("lesson_id")
            .annotate(n=Count("id"))
            .values_list("lesson_id", "n")
        )
        key = f"{DAILY_SUMMARY}:{class_id}:{day.isoformat()}"
        if await OutboxMessage.exists(dedupe_key=key):
            continue
        row = outbox_row(
            DAILY_SUMMARY,
            at,
            payload={
                "institution_id": training_class.institution_id,
                "class_id": class_id,
                "class_name": training_class.name,
                "date": day.isoformat(),
                "enrolled": training_class.enrolled,
                "lessons": [
                    {"lesson_id": x.id, "starts_at": x.starts_at.isoformat(), "checked_in": present.get(x.id, 0)}
                    for x in sorted(class_lessons, key=lambda x: x.starts_at)
                ],
            },
            dedupe_key=key,
        )
        try:
            await row.save()
        except IntegrityError:
            continue  # queued by a concurrent run a moment ago
        queued += 1
    return queued


_texts = Environment(loader=FileSystemLoader(Path(__file__).resolve().parents[2] / "templates" / "notices"))


def notice_text(kind: str, payload: dict[str, Any]) -> tuple[str, str]:
    """(title, body) in Chinese for a notice row, for whichever channel delivers it. Plain text:
    the channel escapes it for its own format."""
    first, _, rest = _texts.get_template(f"{kind}.txt").render(p=payload).strip().partition("\n")
    return first.strip(), rest.strip()
