"""Opening and closing what every process runs on: the database, Redis and the services object.

The server (through `cleanup_ctx`), the worker and every CLI command start and stop the same way,
here; and they all run their coroutines on the same kind of event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from models.database import close_db, init_db
from peixunquan.config import Config, ConfigError
from peixunquan.redis_client import connect_redis
from vouchers.identity.login_throttle import LoginLimits
from vouchers.qr.keys import QrKeyError, QrKeyRing
from vouchers.services import Services

T = TypeVar("T")


def build_services(config: Config, redis: Any) -> Services:
    return Services.from_secret(
        config.secret,
        redis,
        policy=config.policy,
        bureau_token_ttl_s=config.security.bureau_token_ttl_s,
        session_token_ttl_s=config.security.session_token_ttl_s,
        qr=load_qr_keys(config),
        staff_token_ttl_s=config.institutions.staff_token_ttl_s,
        annul_window_s=config.institutions.annul_window_s,
        fence_accuracy_cap_m=config.institutions.fence_accuracy_cap_m,
        allow_private_webhooks=config.institutions.allow_private_webhooks,
        login_limits=LoginLimits(
            max_failures=config.security.login_max_failures,
            lock_s=config.security.login_lock_s,
            address_max_failures=config.security.login_address_max_failures,
            window_s=config.security.login_window_s,
        ),
    )


def load_qr_keys(config: Config) -> QrKeyRing:
    inst = config.institutions
    try:
        return QrKeyRing.load(
            inst.qr_keys_dir,
            generate=inst.generate_missing_qr_key,
            step_s=inst.qr_step_s,
            tolerance_steps=inst.qr_tolerance_steps,
        )
    except QrKeyError as exc:
        raise ConfigError("institutions.qr_keys_dir", str(exc)) from None


@asynccontextmanager
async def open_database(config: Config) -> AsyncIterator[None]:
    """The database connections (Tortoise's, process-wide; the standby's too, with read_url),
    closed on exit."""
    await init_db(config.database.url, config.database.pool_max, config.database.read_url)
    try:
        yield
    finally:
        await close_db()


@asynccontextmanager
async def open_services(config: Config) -> AsyncIterator[Services]:
    """The database connections and a services object on a fresh Redis client, closed on exit:
    what the worker and every CLI command run on. The server opens the same two in its
    `cleanup_ctx` (peixunquan.app)."""
    async with open_database(config):
        services = build_services(config, connect_redis(config.redis.url))
        try:
            yield services
        finally:
            await services.redis.aclose()


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop where it is installed (not on Windows), asyncio's own otherwise."""
    try:
        import uvloop

        return uvloop.new_event_loop()
    except ImportError:
        return asyncio.new_event_loop()


def run(coro: Coroutine[Any, Any, T]) -> T:
    loop = new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()
