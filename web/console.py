"""The HR bureau console (人社部门管理后台): batches, roster import with progress, settlement
review, statistics with charts; and the trainee's H5 training archive. Static shells talking to
/api/v1 with a bearer token in sessionStorage; no CDN."""

from __future__ import annotations

from aiohttp import web

from web.templates import render


async def bureau_console(request: web.Request) -> web.Response:
    """Bureau console (培训券管理后台)"""
    return await render("console/index.html")


async def archive_page(request: web.Request) -> web.Response:
    """H5 training archive (我的培训档案) for provincial HR apps"""
    return await render("archive.html")


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/console", bureau_console)
    app.router.add_get("/h5/archive", archive_page)
