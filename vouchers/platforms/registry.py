"""The bureau registers online platforms and reads them within its region, and sets what each may
take. A platform's registry entry is an institution of kind 线上培训平台 (suspending it in the
institution registry stops its requests too)."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from models import BureauUser, Institution, InstitutionKind, OnlinePlatform, Region
from vouchers.common import admin_log, errors
from vouchers.identity.bureau_auth import ensure_covers
from vouchers.platforms.keys import create_key
from vouchers.platforms.spec import PlatformSpec, ScopeSpec
from vouchers.services import Services


async def register_platform(svc: Services, user: BureauUser, spec: PlatformSpec) -> tuple[OnlinePlatform, str]:
    """-> (the platform, the secret of its first key, shown this once)."""
    region = await Region.get_or_none(code=spec.region)
    if region is None:
        raise errors.InvalidInput("地区代码不存在", field="region")
    ensure_covers(user, region)
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
                kind=InstitutionKind.ONLINE_PLATFORM,
                created_by_id=user.id,
                using_db=conn,
            )
            platform = await OnlinePlatform.create(
                institution=institution, project_types=spec.project_types, occupations=spec.occupations, using_db=conn
            )
            key, secret = await create_key(svc, platform, user, conn)
            after = {"code": spec.code, "name": spec.name, **_scope(platform), "key_id": key.key_id}
            await admin_log.record(
                user, "platform_registered", "platform", platform.id, region.path, after=after, conn=conn
            )
    except IntegrityError:
        raise errors.InstitutionCodeTaken() from None  # registered a moment ago by someone else
    return await get_platform(user, platform.id), secret


def _in_scope(user: BureauUser) -> QuerySet[OnlinePlatform]:
    path = user.region.path
    return OnlinePlatform.filter(
        Q(institution__region__path=path) | Q(institution__region__path__startswith=path + "/")
    )


async def list_platforms(user: BureauUser, limit: int, offset: int) -> list[OnlinePlatform]:
    return (
        await _in_scope(user).order_by("id").offset(offset).limit(limit).prefetch_related("institution__region", "keys")
    )


async def get_platform(user: BureauUser, platform_id: int) -> OnlinePlatform:
    platform = await _in_scope(user).get_or_none(id=platform_id).prefetch_related("institution__region", "keys")
    if platform is None:
        raise errors.PlatformNotFound()
    return platform


async def set_scope(user: BureauUser, platform_id: int, spec: ScopeSpec) -> OnlinePlatform:
    """Applies to what the platform does from now on: enrolments made stay as they are."""
    platform = await get_platform(user, platform_id)
    before = _scope(platform)
    async with in_transaction() as conn:
        platform.project_types, platform.occupations = spec.project_types, spec.occupations
        await platform.save(using_db=conn, update_fields=["project_types", "occupations", "updated_at"])
        path = platform.institution.region.path
        await admin_log.record(
            user, "platform_scope_set", "platform", platform.id, path, before, _scope(platform), conn
        )
    return await get_platform(user, platform_id)


def _scope(platform: OnlinePlatform) -> dict[str, list[str]]:
    return {"project_types": list(platform.project_types), "occupations": list(platform.occupations)}
