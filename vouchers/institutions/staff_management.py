"""What a commissioner (机构专员) manages: the institution's scanning staff. Removal keeps the row:
scans made by the person keep pointing at it."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from models import Staff, StaffRole
from vouchers.common import errors
from vouchers.common.clock import utcnow
from vouchers.institutions.spec import StaffSpec
from vouchers.institutions.staff_auth import ensure_commissioner, password_hash


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


async def own_scanner(actor: Staff, staff_id: int) -> Staff:
    ensure_commissioner(actor)
    staff = await Staff.get_or_none(id=staff_id, institution_id=actor.institution_id, removed_at=None)
    if staff is None:
        raise errors.StaffNotFound()
    if staff.role == StaffRole.COMMISSIONER:
        raise errors.Forbidden("机构专员由人社部门登记，不能在此停用或删除")
    return staff


async def set_staff_active(actor: Staff, staff_id: int, active: bool) -> Staff:
    staff = await own_scanner(actor, staff_id)
    if staff.active != active:
        staff.active = active
        staff.token_version += 1  # ends every session at once
        await staff.save(update_fields=["active", "token_version"])
    return staff


async def remove_staff(actor: Staff, staff_id: int) -> Staff:
    staff = await own_scanner(actor, staff_id)
    staff.active = False
    staff.removed_at = utcnow()
    staff.token_version += 1
    # The row stays: scans made by this person keep pointing at it.
    await staff.save(update_fields=["active", "removed_at", "token_version"])
    return staff
