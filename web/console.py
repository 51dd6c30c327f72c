"""The HR bureau console (人社部门管理后台): batches, roster import with progress, settlement
review, statistics with charts. A static shell talking to /api/v1/admin; no CDN."""

from __future__ import annotations

from aiohttp import web

from web.templates import render


async def bureau_console(request: web.Request) -> web.Response:
    """Bureau console (培训券管理后台)"""
    return await render("console/index.html")


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/console", bureau_console)
