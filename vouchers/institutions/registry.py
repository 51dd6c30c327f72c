"""The institution registry (bureau) and what a commissioner manages: staff, sites, classes,
lessons. An institution's people see and change only their own institution."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from models import BureauUser, Institution, Lesson, Region, Staff, StaffRole, TeachingSite, TrainingClass
from vouchers.common import errors
from vouchers.common.clock import local_days, utcnow
from vouchers.common.personal_data import normalize_id_number, normalize_name
from vouchers.identity.bureau_auth import ensure_covers
from vouchers.institutions.spec import ClassSpec, InstitutionSpec, LessonSpec, SiteSpec, StaffSpec
from vouchers.institutions.staff_auth import ensure_commissioner, password_hash
from vouchers.services import Services


async def register_institution(svc: Services, user: BureauUser, spec: InstitutionSpec) -> Institution:
    region = await Region.get_or_none(code=spec.region)
    if region is None:
        raise errors.InvalidInput("地区代码不存在", field="region")
    ensure_covers(user, region)
    c = spec.commissioner
    id_number = normalize_id_number(c.id_number)
    name = normalize_name(c.name)
    hashed = await password_hash(c.password)
    if await Institution.exists(code=spec.code):
        raise errors.InstitutionCodeTaken()
    try:
        async with in_transaction() as conn:
            institution = await Institution.create(
                code=spec.code,
                name=spec.name,
                region=region,
                address=spec.address,
                phone=spec.phone,
                kind=spec.kind,
                created_by_id=user.id,
                using_db=conn,
            )
            await Staff.create(
                institution=institution,
                username=c.username,
                password_hash=hashed,
                display_name=f"{name[0]}专员",
                role=StaffRole.COMMISSIONER,
                id_hash=svc.keys.id_hash(id_number),
                id_cipher=svc.keys.encrypt(id_number, b"id"),
                name_cipher=svc.keys.encrypt(name, b"name"),
                using_db=conn,
            )
    except IntegrityError:
        # A concurrent registration took the code or the username a moment ago.
        if await Institution.exists(code=spec.code):
            raise errors.InstitutionCodeTaken() from None
        raise errors.UsernameTaken() from None
    return await get_institution(user, institution.id)


async def list_institutions(user: BureauUser, limit: int, offset: int) -> list[Institution]:
    return await _in_scope(user).order_by("id").offset(offset).limit(limit).prefetch_related("region", "staff")


def _in_scope(user: BureauUser) -> QuerySet[Institution]:
    """Institutions of the user's region and the regions below it."""
    path = user.region.path
    return Institution.filter(Q(region__path=path) | Q(region__path__startswith=path + "/"))


async def get_institution(user: BureauUser, institution_id: int) -> Institution:
    institution = await _in_scope(user).get_or_none(id=institution_id).prefetch_related("region", "staff")
    if institution is None:
        raise errors.NotFound("找不到该培训机构")
    return institution


def commissioner_of(institution: Institution) -> Staff | None:
    return next((s for s in institution.staff if s.role == StaffRole.COMMISSIONER and s.removed_at is None), None)


# --- staff (the commissioner) ---------------------------------------------------------------


async def add_staff(actor: Staff, spec: StaffSpec) -> Staff:
    ensure_commissioner(actor)
    hashed = await password_hash(spec.password)
    try:
        return await Staff.create(
            institution_id=actor.institution_id,
            username=spec.username,
            password_hash=hashed,
            display_name=spec.display_name,
            role=StaffRole.SCANNER,
        )
    except IntegrityError:
        raise errors.UsernameTaken() from None


async def list_staff(actor: Staff) -> list[Staff]:
    ensure_commissioner(actor)
    return await Staff.filter(institution_id=actor.institution_id, removed_at=None).order_by("id")


async def _own_scanner(actor: Staff, staff_id: int) -> Staff:
    ensure_commissioner(actor)
    staff = await Staff.get_or_none(id=staff_id, institution_id=actor.institution_id, removed_at=None)
    if staff is None:
        raise errors.StaffNotFound()
    if staff.role == StaffRole.COMMISSIONER:
        raise errors.Forbidden("机构专员由人社部门登记，不能在此停用或删除")
    return staff


async def set_staff_active(actor: Staff, staff_id: int, active: bool) -> Staff:
    staff = await _own_scanner(actor, staff_id)
    if staff.active != active:
        staff.active = active
        staff.token_version += 1  # ends every session at once
        await staff.save(update_fields=["active", "token_version"])
    return staff


async def remove_staff(actor: Staff, staff_id: int) -> Staff:
    staff = await _own_scanner(actor, staff_id)
    staff.active = False
    staff.removed_at = utcnow()
    staff.token_version += 1
    # The row stays: scans made by this person keep pointing at it.
    await staff.save(update_fields=["active", "removed_at", "token_version"])
    return staff


# --- teaching sites, classes, lessons ----------------------------------------------------------


async def add_site(actor: Staff, spec: SiteSpec) -> TeachingSite:
    ensure_commissioner(actor)
    return await TeachingSite.create(institution_id=actor.institution_id, **spec.model_dump())


async def list_sites(actor: Staff) -> list[TeachingSite]:
    return await TeachingSite.filter(institution_id=actor.institution_id).order_by("id")


async def add_class(actor: Staff, spec: ClassSpec) -> TrainingClass:
    ensure_commissioner(actor)
    site_ids = sorted(set(spec.site_ids))
    found = await TeachingSite.filter(institution_id=actor.institution_id, id__in=site_ids).count()
    if found != len(site_ids):
        raise errors.SiteNotFound("教学点不存在或不属于本机构")
    data = spec.model_dump()
    data["site_ids"] = site_ids
    return await TrainingClass.create(institution_id=actor.institution_id, **data)


async def list_classes(actor: Staff) -> list[TrainingClass]:
    return await TrainingClass.filter(institution_id=actor.institution_id).order_by("-start_date", "-id")


async def get_class(actor: Staff, class_id: int) -> TrainingClass:
    found = await TrainingClass.get_or_none(id=class_id, institution_id=actor.institution_id)
    if found is None:
        raise errors.ClassNotFound()
    return found


async def add_lesson(actor: Staff, class_id: int, spec: LessonSpec) -> Lesson:
    ensure_commissioner(actor)
    training_class = await get_class(actor, class_id)
    # A lesson outside the class's dates would be checked into and counted in the archive.
    first, last = training_class.start_date, training_class.end_date
    opens, closes = local_days(first, last)
    if spec.starts_at < opens or spec.ends_at > closes:
        raise errors.LessonOutsideClass(f"课次时间须在培训班的开班日期 {first} 至结束日期 {last} 之内")
    return await Lesson.create(training_class=training_class, **spec.model_dump())


async def list_lessons(actor: Staff, class_id: int) -> list[Lesson]:
    training_class = await get_class(actor, class_id)
    return await Lesson.filter(training_class_id=training_class.id).order_by("starts_at", "id")
