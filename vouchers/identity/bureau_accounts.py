"""The administrator manages the bureau users of its region and the regions below it: add one
with a role, change its name, role or region, disable or enable it, reset its password; and
every user changes its own password. Every change is in the admin log, without the password.

A disable, a reset or a role change ends the user's sessions at once (token version): what a
user may do is read from the account at each request, so a demoted reviewer cannot go on
deciding with the token it had."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from models import BureauRole, BureauUser, LoginLockout, Region
from vouchers.batches.spec import NoNul, RegionCode
from vouchers.common import errors
from vouchers.common.admin_log import record
from vouchers.common.clock import utcnow
from vouchers.common.passwords import hash_password, password_matches
from vouchers.identity.bureau_auth import BUREAU, ensure_covers

Username = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.@-]{3,64}$")]
Password = Annotated[str, StringConstraints(min_length=10, max_length=256), NoNul]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64), NoNul]


class AccountSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Username
    password: Password
    display_name: DisplayName = ""
    role: BureauRole
    region: RegionCode


class AccountEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    display_name: DisplayName | None = None
    role: BureauRole | None = None
    region: RegionCode | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.display_name is None and self.role is None and self.region is None:
            raise ValueError("请至少修改姓名、角色或地区中的一项")
        return self


def _shown(user: BureauUser) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": str(user.role),
        "region": user.region_id,
        "active": user.active,
    }


async def _region(actor: BureauUser, code: str) -> Region:
    region = await Region.get_or_none(code=code)
    if region is None:
        raise errors.InvalidInput("地区代码不存在", field="region")
    ensure_covers(actor, region)
    return region


async def list_accounts(actor: BureauUser) -> list[BureauUser]:
    return await BureauUser.filter(region__path__startswith=actor.region.path).order_by("id").prefetch_related("region")


async def locked_usernames(usernames: list[str]) -> set[str]:
    """Which of these bureau users are locked out now (the lock expires by itself)."""
    rows = await LoginLockout.filter(
        account_kind=BUREAU, username__in=usernames, lifted_at=None, locked_until__gt=utcnow()
    ).values_list("username", flat=True)
    return set(rows)


async def account_in_scope(actor: BureauUser, account_id: int) -> BureauUser:
    user = await BureauUser.get_or_none(id=account_id).prefetch_related("region")
    if user is None or not actor.region.covers(user.region.path):
        raise errors.AccountNotFound()
    return user


async def create_account(actor: BureauUser, spec: AccountSpec) -> BureauUser:
    region = await _region(actor, spec.region)
    password_hash = await asyncio.to_thread(hash_password, spec.password)
    try:
        async with in_transaction() as conn:
            user = await BureauUser.create(
                username=spec.username,
                password_hash=password_hash,
                display_name=spec.display_name,
                role=spec.role,
                region_id=region.code,
                using_db=conn,
            )
            await record(actor, "account_created", "account", user.id, region.path, after=_shown(user), conn=conn)
    except IntegrityError:
        raise errors.UsernameTaken() from None
    return await account_in_scope(actor, user.id)


async def edit_account(actor: BureauUser, account_id: int, edit: AccountEdit) -> BureauUser:
    user = await account_in_scope(actor, account_id)
    before = _shown(user)
    changes: dict[str, Any] = {}
    if edit.display_name is not None:
        changes["display_name"] = edit.display_name
    if edit.role is not None and edit.role != user.role:
        if user.id == actor.id:
            raise errors.OwnAccount()
        changes["role"] = edit.role
    if edit.region is not None and edit.region != user.region_id:
        if user.id == actor.id:
            raise errors.OwnAccount()
        changes["region_id"] = (await _region(actor, edit.region)).code
    if not changes:
        return user
    async with in_transaction() as conn:
        update = dict(changes)
        if "role" in changes or "region_id" in changes:  # what the user may do changed: log in again
            update["token_version"] = F("token_version") + 1
        await BureauUser.filter(id=user.id).using_db(conn).update(**update)
        fresh = await BureauUser.get(id=user.id).using_db(conn)
        await record(actor, "account_updated", "account", user.id, user.region.path, before, _shown(fresh), conn)
    return await account_in_scope(actor, user.id)


async def set_account_active(actor: BureauUser, account_id: int, active: bool) -> BureauUser:
    user = await account_in_scope(actor, account_id)
    if user.id == actor.id:
        raise errors.OwnAccount()
    if user.active == active:
        return user
    async with in_transaction() as conn:
        await BureauUser.filter(id=user.id).using_db(conn).update(active=active, token_version=F("token_version") + 1)
        action = "account_enabled" if active else "account_disabled"
        await record(
            actor, action, "account", user.id, user.region.path, {"active": user.active}, {"active": active}, conn
        )
    return await account_in_scope(actor, user.id)


async def reset_password(actor: BureauUser, account_id: int, password: str) -> BureauUser:
    user = await account_in_scope(actor, account_id)
    password_hash = await asyncio.to_thread(hash_password, password)
    async with in_transaction() as conn:
        await (
            BureauUser.filter(id=user.id)
            .using_db(conn)
            .update(password_hash=password_hash, token_version=F("token_version") + 1)
        )
        await record(actor, "password_reset", "account", user.id, user.region.path, conn=conn)
    return await account_in_scope(actor, user.id)


async def change_own_password(user: BureauUser, current: str, new: str) -> BureauUser:
    """Every other session of the user ends; the caller issues a fresh token for this one."""
    if not await password_matches(user.password_hash, current):
        raise errors.WrongPassword()
    password_hash = await asyncio.to_thread(hash_password, new)
    async with in_transaction() as conn:
        await (
            BureauUser.filter(id=user.id)
            .using_db(conn)
            .update(password_hash=password_hash, token_version=F("token_version") + 1)
        )
        await record(user, "password_changed", "account", user.id, user.region.path, conn=conn)
    return await BureauUser.get(id=user.id).prefetch_related("region")
