"""The bureau keeps its registry current: corrects an institution's details, records a new
commissioner (Chongqing: "机构专员发生变化的，及时上报变更"), suspends an institution and lifts the
suspension. Every change is in the admin log with what it was before.

A suspension ends every session of the institution's staff at once (token versions) and refuses
their logins; scans need a session, so the institution cannot scan until it is lifted. Its
vouchers, classes and claims stay as they are."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from models import BureauUser, Institution, InstitutionKind, Region, Staff
from vouchers.batches.spec import NoNul, RegionCode
from vouchers.common import errors
from vouchers.common.admin_log import record
from vouchers.common.clock import utcnow
from vouchers.common.personal_data import mask_id_number, normalize_id_number, normalize_name
from vouchers.identity.bureau_auth import ensure_covers
from vouchers.institutions.registry import commissioner_of, get_institution
from vouchers.institutions.spec import RegistryKind, Text50, Text100, Text200
from vouchers.scanning.summary import mask_name
from vouchers.services import Services

Phone = Annotated[str, StringConstraints(pattern=r"^[0-9+\-() ]{5,32}$")]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul]


class NewCommissioner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Text50
    id_number: Annotated[str, StringConstraints(min_length=15, max_length=20), NoNul]


class InstitutionEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Text100 | None = None
    region: RegionCode | None = None
    address: Text200 | None = None
    phone: Phone | None = None
    kind: RegistryKind | None = None
    commissioner: NewCommissioner | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        if all(getattr(self, f) is None for f in type(self).model_fields):
            raise ValueError("请至少修改一项")
        return self


class SuspendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason


def _details(i: Institution) -> dict[str, Any]:
    return {"name": i.name, "region": i.region_id, "address": i.address, "phone": i.phone, "kind": str(i.kind)}


async def edit_institution(svc: Services, user: BureauUser, institution_id: int, edit: InstitutionEdit) -> Institution:
    institution = await get_institution(user, institution_id)
    if edit.kind is not None and institution.kind == InstitutionKind.ONLINE_PLATFORM:
        raise errors.PlatformKindReserved()
    before = _details(institution)
    changes: dict[str, Any] = {
        k: v for k in ("name", "address", "phone", "kind") if (v := getattr(edit, k)) is not None
    }
    if edit.region is not None and edit.region != institution.region_id:
        region = await Region.get_or_none(code=edit.region)
        if region is None:
            raise errors.InvalidInput("地区代码不存在", field="region")
        ensure_covers(user, region)
        changes["region_id"] = region.code
    async with in_transaction() as conn:
        if changes:
            await Institution.filter(id=institution.id).using_db(conn).update(**changes)
        after = {**before, **{("region" if k == "region_id" else k): str(v) for k, v in changes.items()}}
        if edit.commissioner is not None:
            commissioner = commissioner_of(institution)
            if commissioner is None:
                raise errors.NotFound("该机构没有机构专员账号")
            number = normalize_id_number(edit.commissioner.id_number)
            name = normalize_name(edit.commissioner.name)
            before["commissioner"] = "（原专员）"
            after["commissioner"] = f"{mask_name(name)} {mask_id_number(number)}"  # masked in the log too
            # The account stays (its scans point at it); who holds it changes, and the person
            # who held it is logged out.
            await (
                Staff.filter(id=commissioner.id)
                .using_db(conn)
                .update(
                    id_hash=svc.keys.id_hash(number),
                    id_cipher=svc.keys.encrypt(number, b"id"),
                    name_cipher=svc.keys.encrypt(name, b"name"),
                    display_name=f"{name[0]}专员",
                    token_version=F("token_version") + 1,
                )
            )
        await record(
            user, "institution_updated", "institution", institution.id, institution.region.path, before, after, conn
        )
    await svc.coherence.forget("institutions", institution.id)
    return await get_institution(user, institution.id)


async def suspend_institution(svc: Services, user: BureauUser, institution_id: int, reason: str) -> Institution:
    institution = await get_institution(user, institution_id)
    if institution.suspended_at is not None:
        return institution
    async with in_transaction() as conn:
        await (
            Institution.filter(id=institution.id).using_db(conn).update(suspended_at=utcnow(), suspended_reason=reason)
        )
        await Staff.filter(institution_id=institution.id).using_db(conn).update(token_version=F("token_version") + 1)
        await record(
            user,
            "institution_suspended",
            "institution",
            institution.id,
            institution.region.path,
            after={"reason": reason},
            conn=conn,
        )
    await svc.coherence.forget("institutions", institution.id)
    return await get_institution(user, institution.id)


async def resume_institution(svc: Services, user: BureauUser, institution_id: int) -> Institution:
    institution = await get_institution(user, institution_id)
    if institution.suspended_at is None:
        return institution
    async with in_transaction() as conn:
        await Institution.filter(id=institution.id).using_db(conn).update(suspended_at=None, suspended_reason=None)
        await record(
            user,
            "institution_resumed",
            "institution",
            institution.id,
            institution.region.path,
            before={"reason": institution.suspended_reason},
            conn=conn,
        )
    await svc.coherence.forget("institutions", institution.id)
    return await get_institution(user, institution.id)
