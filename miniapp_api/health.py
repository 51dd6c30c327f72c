"""GET /healthz: 200 when the database and Redis both answer, 503 naming the one that does not; with
the answering process's pid (`serve --processes N` runs several behind one port), and the read
standby's state where one is configured (reported, never a 503: its reads fall back to the primary)."""

from __future__ import annotations

import asyncio
import os

from aiohttp import web

from miniapp_api.endpoint import endpoint, json_response
from miniapp_api.schemas import Health
from models.database import database_ok
from models.replica import replica_health
from peixunquan.appkeys import SERVICES

TIMEOUT_S = 2.0


async def _redis_ok(redis) -> bool:
    try:
        return bool(await asyncio.wait_for(redis.ping(), TIMEOUT_S))
    except Exception:
        return False


@endpoint("GET", "/healthz", summary="Database, Redis and read standby reachability", tag="ops", response=Health)
async def healthz(request: web.Request) -> web.Response:
    database, redis, replica = await asyncio.gather(
        database_ok(TIMEOUT_S), _redis_ok(request.app[SERVICES].redis), replica_health(TIMEOUT_S)
    )
    body = Health(
        status="ok" if database and redis else "unavailable",
        database="ok" if database else "unreachable",
        redis="ok" if redis else "unreachable",
        pid=os.getpid(),
        replica=replica.status if replica else None,
        replica_lag_s=replica.lag_s if replica else None,
    )
    # Without a standby the answer stays as it was: no replica fields.
    return json_response(body.model_dump(mode="json", exclude_none=True), 200 if database and redis else 503)
