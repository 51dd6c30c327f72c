"""Demo institution (idempotent): a Wuxi school with its commissioner, a site, a class and a
lesson open today, so the scan console works right after `make run`; and its next intake, open
for sign-up in the trainees' catalogue (找培训), holding places for sign-ups."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from models import BureauUser, Institution, Lesson, Staff, TeachingSite, TrainingClass
from vouchers.common.clock import LOCAL_TZ
from vouchers.common.personal_data import check_digit
from vouchers.institutions.registry import register_institution
from vouchers.institutions.spec import ClassSpec, CommissionerSpec, InstitutionSpec, LessonSpec, SiteSpec
from vouchers.institutions.teaching import add_class, add_lesson, add_site
from vouchers.services import Services

CODE = "3202001"
USERNAME = "demo-school"
COMMISSIONER_17 = "32020219850611002"  # made up; the check digit is computed


async def load_demo_institution(svc: Services, var_dir: Path) -> list[str]:
    credentials = var_dir / "demo-institution.txt"
    if not await Institution.exists(code=CODE):
        password = secrets.token_urlsafe(12)
        wuxi = await BureauUser.get(username="wuxi").prefetch_related("region")
        spec = InstitutionSpec(
            code=CODE,
            name="无锡市技能培训示范学校",
            region="320200",
            address="无锡市梁溪区人民中路1号",
            phone="0510-12345678",
            kind="民办职业培训学校",
            commissioner=CommissionerSpec(
                name="张三丰",
                id_number=COMMISSIONER_17 + check_digit(COMMISSIONER_17),
                username=USERNAME,
                password=password,
            ),
        )
        await register_institution(svc, wuxi, spec)
        var_dir.mkdir(parents=True, exist_ok=True)
        credentials.write_text(f"{USERNAME}={password}\n")
        credentials.chmod(0o600)
    staff = await Staff.get(username=USERNAME).prefetch_related("institution")
    if not await TeachingSite.exists(institution_id=staff.institution_id):
        await add_site(
            staff,
            SiteSpec(
                name="梁溪教学点",
                address="无锡市梁溪区人民中路1号",
                latitude=31.5747,
                longitude=120.2889,
                datum="gcj02",
                radius_m=200,
            ),
        )
    site = await TeachingSite.filter(institution_id=staff.institution_id).first()
    assert site is not None
    today = date.today()
    # A class running today: a demo database older than a class gets a new one, as lessons are
    # only accepted within their class's dates.
    running = TrainingClass.filter(institution_id=staff.institution_id, start_date__lte=today, end_date__gte=today)
    if not await running.exists():
        await add_class(
            staff,
            ClassSpec(
                name=f"{today.year}年电工培训班",
                project_type="就业技能培训",
                occupation="电工",
                start_date=today,
                end_date=today + timedelta(days=60),
                site_ids=[site.id],
                capacity=50,
            ),
        )
    upcoming = TrainingClass.filter(institution_id=staff.institution_id, start_date__gt=today)
    if not await upcoming.exists():
        starts = today + timedelta(days=14)
        await add_class(
            staff,
            ClassSpec(
                name=f"{starts.year}年电工培训班（下一期）",
                project_type="就业技能培训",
                occupation="电工",
                start_date=starts,
                end_date=starts + timedelta(days=60),
                site_ids=[site.id],
                capacity=40,
                hold_places_for_signups=True,
            ),
        )
    klass = await running.order_by("-id").first()
    assert klass is not None
    start = datetime.combine(today, time(8, 0), LOCAL_TZ).astimezone(UTC)
    today_lessons = Lesson.filter(training_class_id=klass.id, starts_at__gte=start - timedelta(hours=8))
    if not await today_lessons.filter(starts_at__lt=start + timedelta(hours=16)).exists():
        # A lesson of the whole day, so check-in works whenever the demo is tried.
        await add_lesson(
            staff,
            klass.id,
            LessonSpec(
                starts_at=start,
                ends_at=start + timedelta(hours=12),
                checkin_opens_at=start - timedelta(hours=8),
                checkin_closes_at=start + timedelta(hours=16) - timedelta(seconds=1),
            ),
        )
    login = credentials.read_text().strip().replace("=", " / password ") if credentials.exists() else USERNAME
    return [f"institution commissioner {login} (institution portal: /institution)"]
