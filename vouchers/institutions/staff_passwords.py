"""Staff passwords: the commissioner resets a member's (who forgot it), a member changes their
own. Either ends every session of that member at once (the token version moves on)."""

from __future__ import annotations

from tortoise.expressions import F

from models import Staff
from vouchers.common import errors
from vouchers.common.passwords import password_matches
from vouchers.institutions.staff_auth import password_hash
from vouchers.institutions.staff_management import own_scanner


async def reset_password(actor: Staff, staff_id: int, new_password: str) -> Staff:
    staff = await own_scanner(actor, staff_id)
    staff.password_hash = await password_hash(new_password)
    staff.token_version += 1
    await staff.save(update_fields=["password_hash", "token_version"])
    return staff


async def change_own_password(staff: Staff, current_password: str, new_password: str) -> Staff:
    """-> the member with the new token version (the caller issues a fresh token for this desk)."""
    row = await Staff.get(id=staff.id)
    if not await password_matches(row.password_hash, current_password):
        raise errors.WrongPassword()
    hashed = await password_hash(new_password)
    await Staff.filter(id=staff.id).update(password_hash=hashed, token_version=F("token_version") + 1)
    return await Staff.get(id=staff.id)
