"""GET /api/v1/ping: touches nothing, so load tests can measure the bare HTTP stack."""

from __future__ import annotations

from aiohttp import web

from miniapp_api.endpoint import endpoint


@endpoint("GET", "/api/v1/ping", summary="Liveness of the HTTP stack alone (no database, no Redis)", tag="ops")
async def ping(request: web.Request) -> dict[str, bool]:
    return {"ok": True}
