"""The application factory: resources in `cleanup_ctx`, routes in one place."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from tortoise.exceptions import DBConnectionError

import bot
import miniapp_api
import web as pages
from infra.redis_errors import REDIS_FAILURES
from miniapp_api import error_middleware, latency_middleware, security_headers
from models import Batch, BatchStatus, DistributionMode
from peixunquan.alipay_setup import setup_alipay
from peixunquan.appkeys import CONFIG, HTTP, SERVICES
from peixunquan.config import Config
from peixunquan.logs import quiet_client_mistakes
from peixunquan.redis_client import connect_redis
from peixunquan.runtime import build_services, open_database
from peixunquan.wechat_setup import setup_wechat
from peixunquan.worker_setup import running_worker
from vouchers.common.errors import ServiceBusy
from vouchers.services import Services

log = logging.getLogger(__name__)


def create_app(config: Config, *, services: Services | None = None, manage_db: bool = True) -> web.Application:
    """`services` and `manage_db=False` let tests hand in what they already set up."""
    # aiohttp's own reads (request.read/post/json, as the sandboxes use) stop at the JSON limit,
    # counted on the decoded body; uploads read through `read_body` with their larger limit.
    app = web.Application(
        middlewares=[latency_middleware, error_middleware], client_max_size=config.server.max_body_bytes
    )
    app.on_response_prepare.append(security_headers)
    app[CONFIG] = config
    quiet_client_mistakes()
    app[SERVICES] = services or build_services(config, connect_redis(config.redis.url))
    if manage_db:
        app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_redis)
    app.cleanup_ctx.append(_http)
    setup_alipay(app, config)
    if config.worker.embedded:
        app.cleanup_ctx.append(_embedded_worker)
    setup_wechat(app, config)
    # Every edge's routes, here and nowhere else.
    miniapp_api.setup_routes(app)
    pages.setup_routes(app)
    bot.setup_routes(app)
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    async with open_database(app[CONFIG]):
        yield


async def _redis(app: web.Application) -> AsyncIterator[None]:
    services = app[SERVICES]
    await rebuild_claim_gates(services)
    # Other processes' changes to what this one caches (vouchers.common.coherence).
    stop = asyncio.Event()
    listening = asyncio.create_task(services.coherence.listen(stop), name="cache-coherence")
    yield
    stop.set()
    await listening
    await services.redis.aclose()


async def _embedded_worker(app: web.Application) -> AsyncIterator[None]:
    """`make run` is one process: it delivers, reminds and sweeps too."""
    async with running_worker(app[CONFIG], app[SERVICES]):
        yield


async def _http(app: web.Application) -> AsyncIterator[None]:
    async with aiohttp.ClientSession() as session:
        app[HTTP] = session
        yield


async def rebuild_claim_gates(services: Services) -> None:
    """The gate is rebuilt from the database at start-up; if Redis is down now, claims answer
    `service_busy` and each gate is rebuilt lazily once Redis is back."""
    try:
        ids = await Batch.filter(status=BatchStatus.PUBLISHED, distribution=DistributionMode.GENERAL).values_list(
            "id", flat=True
        )
        await services.gate.rebuild_all(list(ids))
    except (ServiceBusy, *REDIS_FAILURES, DBConnectionError) as exc:
        log.warning("claim gates not rebuilt at start-up: %s", type(exc).__name__)
