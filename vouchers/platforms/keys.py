"""A platform's signing keys: the bureau adds one (its secret shown once) and retires one. Two may
be active at once: the platform is given a new key, switches to it, and the old one is retired,
with no moment where neither works."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from models import BureauUser, OnlinePlatform, PlatformKey
from vouchers.common import admin_log, errors
from vouchers.common.clock import utcnow
from vouchers.services import Services

SECRET_CONTEXT = b"platform-key"
MAX_ACTIVE = 2


def new_key_id(now: datetime) -> str:
    return f"k{now:%Y%m%d}-{secrets.token_hex(3)}"


async def create_key(svc: Services, platform: OnlinePlatform, user: BureauUser, conn: Any) -> tuple[PlatformKey, str]:
    """A new key of the platform, in the caller's transaction: (the row, the secret in clear)."""
    secret = secrets.token_urlsafe(32)  # 43 ASCII characters, 256 bits
    now = utcnow()
    key = await PlatformKey.create(
        platform=platform,
        key_id=new_key_id(now),
        secret_cipher=svc.keys.encrypt(secret, SECRET_CONTEXT),
        created_by_id=user.id,
        created_at=now,
        using_db=conn,
    )
    return key, secret


async def add_key(svc: Services, user: BureauUser, platform: OnlinePlatform) -> tuple[PlatformKey, str]:
    async with in_transaction() as conn:
        # The platform's row lock: two clerks adding at once cannot make three active keys.
        await OnlinePlatform.select_for_update().using_db(conn).get(id=platform.id)
        if await PlatformKey.filter(platform_id=platform.id, retired_at=None).using_db(conn).count() >= MAX_ACTIVE:
            raise errors.PlatformKeysFull()
        key, secret = await create_key(svc, platform, user, conn)
        await admin_log.record(
            user,
            "platform_key_added",
            "platform",
            platform.id,
            platform.institution.region.path,
            after={"key_id": key.key_id},
            conn=conn,
        )
    return key, secret


async def retire_key(user: BureauUser, platform: OnlinePlatform, key_id: str) -> PlatformKey:
    async with in_transaction() as conn:
        key = await PlatformKey.select_for_update().using_db(conn).get_or_none(platform_id=platform.id, key_id=key_id)
        if key is None:
            raise errors.PlatformKeyNotFound()
        if key.retired_at is not None:
            raise errors.PlatformKeyAlreadyRetired()
        key.retired_at, key.retired_by_id = utcnow(), user.id
        await key.save(using_db=conn, update_fields=["retired_at", "retired_by_id"])
        await admin_log.record(
            user,
            "platform_key_retired",
            "platform",
            platform.id,
            platform.institution.region.path,
            before={"key_id": key.key_id},
            conn=conn,
        )
    return key
