"""The institution registry: the bureau registers institutions (with their commissioner) and reads
them within its region. What an institution manages itself is in `staff_management` and `teaching`."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from models import BureauUser, Institution, Region, Staff, StaffRole
from vouchers.common import errors
from vouchers.common.personal_data import normalize_id_number, normalize_name
from vouchers.identity.bureau_auth import ensure_covers
from vouchers.institutions.spec import InstitutionSpec
from vouchers.institutions.staff_auth import password_hash
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


async def list_institutions(
    user: BureauUser, limit: int, offset: int, search: str | None = None, suspended: bool | None = None
) -> list[Institution]:
    """`search`: part of the name or of the 7-digit code."""
    query = _in_scope(user)
    if search:
        query = query.filter(Q(name__icontains=search) | Q(code__startswith=search))
    if suspended is not None:
        query = query.filter(suspended_at__isnull=not suspended)
    return await query.order_by("id").offset(offset).limit(limit).prefetch_related("region", "staff")


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
