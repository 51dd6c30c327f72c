"""Institution staff: argon2 password hashes, signed expiring tokens that a disable or a removal
ends at once (the token carries the staff member's token version, checked on every request)."""

from __future__ import annotations

import asyncio
from typing import TypeVar

from tortoise import connections
from tortoise.expressions import F

from models import Staff, StaffRole
from models.database import is_postgres
from models.sql.scan import staff_from_row
from models.sql.scan_rows import ScanStaff
from vouchers.common import errors
from vouchers.common.passwords import hash_password, password_matches
from vouchers.common.tokens import TokenClaims
from vouchers.identity.lockouts import failed_login
from vouchers.services import Services

STAFF = "staff"

_S = TypeVar("_S", Staff, ScanStaff)  # the full row, or the few columns the scan call reads
MIN_PASSWORD = 10


async def password_hash(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise errors.InvalidInput(f"密码至少{MIN_PASSWORD}位", field="password")
    # argon2 takes tens of milliseconds of CPU: keep it off the event loop.
    return await asyncio.to_thread(hash_password, password)


async def staff_login(svc: Services, username: str, password: str, address: str = "") -> tuple[Staff, str]:
    """Throttled like a bureau user's login (`vouchers.identity.login_throttle`)."""
    await svc.login_throttle.check(STAFF, username, address)
    staff = await Staff.get_or_none(username=username).prefetch_related("institution")
    present = staff is not None and staff.removed_at is None
    if not await password_matches(staff.password_hash if staff is not None and present else None, password):
        await failed_login(svc, STAFF, username, address)
        raise errors.BadCredentials()
    # Said only to whoever knows the password, so nobody learns which accounts exist; a removed
    # member is gone and gets the ordinary answer above.
    if not staff.active:
        raise errors.StaffDisabled()
    if staff.institution.suspended_at is not None:
        raise errors.InstitutionSuspended()
    await svc.login_throttle.succeeded(STAFF, username)
    return staff, svc.tokens.issue(STAFF, staff.id, svc.staff_token_ttl_s, version=staff.token_version)


async def staff_for_token(svc: Services, token: str) -> Staff:
    return await staff_for_claims(svc, staff_claims(svc, token))


def staff_claims(svc: Services, token: str) -> TokenClaims:
    """The token's claims if its signature and expiry hold; the staff row is still to be read."""
    return svc.tokens.verify(token, STAFF)


async def staff_for_claims(svc: Services, claims: TokenClaims) -> Staff:
    # Read on every request, never cached: disabling someone must end their session at once,
    # in every server process. The requests of one event-loop turn share one query.
    if is_postgres(connections.get("default")):
        row = await svc.staff.rows.load(claims.subject)
        staff = staff_from_row(row) if row is not None else None
    else:
        staff = await Staff.get_or_none(id=claims.subject)
    return await admit(svc, staff, claims)


async def admit(svc: Services, staff: _S | None, claims: TokenClaims) -> _S:
    """The staff member the token names, if still allowed in, with the institution attached."""
    if staff is None or not staff.active or staff.removed_at is not None or staff.token_version != claims.version:
        raise errors.Unauthenticated("登录凭证已失效")
    staff.institution = await svc.staff.institution(staff.institution_id)
    return staff


async def staff_logout(staff: Staff) -> None:
    """退出: every token of this staff member stops working at once, on every device (tokens
    are not tracked one by one; a scan desk logs in again in seconds)."""
    await Staff.filter(id=staff.id).update(token_version=F("token_version") + 1)


def ensure_commissioner(staff: Staff) -> None:
    if staff.role != StaffRole.COMMISSIONER:
        raise errors.CommissionerOnly()
