"""HR bureau users: argon2 password hashes, signed expiring tokens, region scope."""

from __future__ import annotations

import asyncio

from tortoise.expressions import F

from models import BureauRole, BureauUser, Region
from vouchers.common import errors
from vouchers.common.passwords import hash_password, password_matches
from vouchers.identity.lockouts import failed_login
from vouchers.services import Services

BUREAU = "bureau"


async def create_bureau_user(
    username: str, password: str, region_code: str, display_name: str = "", role: BureauRole = BureauRole.ADMIN
) -> BureauUser:
    """For the command line, the demo and tests; the console goes through `bureau_accounts`."""
    if len(password) < 10:
        raise errors.InvalidInput("密码至少10位")
    password_hash = await asyncio.to_thread(hash_password, password)
    return await BureauUser.create(
        username=username, password_hash=password_hash, region_id=region_code, display_name=display_name, role=role
    )


async def login(svc: Services, username: str, password: str, address: str = "") -> tuple[BureauUser, str]:
    """`address`: the client's, for the per-address count of failures (`login_throttle`)."""
    throttle = svc.login_throttle
    await throttle.check(BUREAU, username, address)
    user = await BureauUser.get_or_none(username=username).prefetch_related("region")
    usable = user is not None and user.active
    if not await password_matches(user.password_hash if user is not None and usable else None, password):
        await failed_login(svc, BUREAU, username, address)
        raise errors.BadCredentials()
    await throttle.succeeded(BUREAU, username)
    token = svc.tokens.issue(BUREAU, user.id, svc.bureau_token_ttl_s, version=user.token_version)
    return user, token


async def user_for_token(svc: Services, token: str) -> BureauUser:
    claims = svc.tokens.verify(token, BUREAU)
    user = await BureauUser.get_or_none(id=claims.subject).prefetch_related("region")
    if user is None or not user.active or user.token_version != claims.version:
        raise errors.Unauthenticated("登录凭证已失效")
    return user


async def bureau_logout(user: BureauUser) -> None:
    """退出: every token of this bureau user stops working at once, on every device."""
    await BureauUser.filter(id=user.id).update(token_version=F("token_version") + 1)


def ensure_covers(user: BureauUser, region: Region) -> None:
    """A bureau user acts on its own region and the regions below it, nothing else."""
    if not user.region.covers(region.path):
        raise errors.OutOfScope()


async def region_in_scope(user: BureauUser, code: str | None) -> Region:
    """The region named by `code` (default: the user's own), if the user covers it."""
    region = await Region.get_or_none(code=code) if code else user.region
    if region is None:
        raise errors.InvalidInput("地区代码不存在", field="region")
    ensure_covers(user, region)
    return region
