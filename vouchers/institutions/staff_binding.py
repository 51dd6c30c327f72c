"""Institution staff receive notices on the Official Account: a staff member scans a QR code
with scene `staff:<token>`, and the follower who scanned becomes that staff member's recipient.

Tokens are random and stored (as a SHA-256), not signed: a QR scene string holds at most 64
characters, a stored token can be single-use and withdrawn, and the scan must find the staff
id anyway. A token binds one follower once and expires after `BIND_TOKEN_TTL_S`.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from tortoise.transactions import in_transaction

from models import StaffBinding, StaffBindToken
from vouchers.common import errors
from vouchers.common.clock import utcnow

SCENE_PREFIX = "staff:"
BIND_TOKEN_TTL_S = 7 * 24 * 3600
# The portal's QR code: long enough to find a phone and scan, short enough that a photo of the
# screen is soon worthless (the token is single-use anyway).
PORTAL_QR_TTL_S = 30 * 60


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_staff_bind_token(staff_id: int, ttl_s: int = BIND_TOKEN_TTL_S) -> str:
    """-> the token; the QR scene is f"staff:{token}" (28 characters)."""
    token = secrets.token_urlsafe(16)
    await StaffBindToken.create(
        token_hash=_hash(token), staff_id=staff_id, expires_at=utcnow() + timedelta(seconds=ttl_s)
    )
    return token


async def bind_staff_by_scene(scene: str, app_id: str, openid: str) -> int | None:
    """The follower `openid` scanned `scene`. -> the staff id bound, or None when the token is
    unknown, used or expired (the scan then changes nothing)."""
    if not scene.startswith(SCENE_PREFIX):
        return None
    token = scene.removeprefix(SCENE_PREFIX)
    if not 8 <= len(token) <= 58:
        return None
    now = utcnow()
    async with in_transaction() as conn:
        row = await StaffBindToken.get_or_none(token_hash=_hash(token)).using_db(conn)
        if row is None or row.used_at is not None or row.expires_at <= now:
            return None
        # Only one scan can use the token, even when two arrive at once.
        used = await StaffBindToken.filter(id=row.id, used_at=None).using_db(conn).update(used_at=now)
        if not used:
            return None
        binding = await StaffBinding.get_or_none(app_id=app_id, openid=openid).using_db(conn)
        if binding is None:
            await StaffBinding.create(staff_id=row.staff_id, app_id=app_id, openid=openid, bound_at=now, using_db=conn)
        else:
            binding.staff_id, binding.bound_at = row.staff_id, now
            await binding.save(using_db=conn)
    return row.staff_id


async def staff_recipients(staff_id: int, app_id: str) -> list[StaffBinding]:
    """The followers of Official Account `app_id` who receive `staff_id`'s notices."""
    return await StaffBinding.filter(staff_id=staff_id, app_id=app_id).order_by("id")


async def binding_counts(staff_ids: list[int]) -> dict[int, int]:
    """How many followers receive each of these members' notices."""
    counts: dict[int, int] = {}
    for staff_id in await StaffBinding.filter(staff_id__in=staff_ids).values_list("staff_id", flat=True):
        counts[staff_id] = counts.get(staff_id, 0) + 1
    return counts


async def bindings_of(staff_id: int) -> list[StaffBinding]:
    """Every follower (of any Official Account) receiving this member's notices, newest first."""
    return await StaffBinding.filter(staff_id=staff_id).order_by("-bound_at", "-id")


async def unbind(staff_id: int, binding_id: int) -> None:
    """The member stops a follower receiving their notices. Only the member's own bindings."""
    removed = await StaffBinding.filter(id=binding_id, staff_id=staff_id).delete()
    if not removed:
        raise errors.NotFound("找不到该微信绑定")


def follower_label(openid: str) -> str:
    """How a page names a follower: WeChat gives us no nickname, and the openid stays private."""
    return f"微信用户（尾号 {openid[-4:]}）"
