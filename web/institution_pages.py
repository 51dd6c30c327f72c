"""The institution scan console and the trainee H5 wallet: static shells rendered once, which
talk to /api/v1 with a bearer token kept in sessionStorage. No CDN: everything is served here."""

from __future__ import annotations

from aiohttp import web

from web.templates import render


async def scan_console(request: web.Request) -> web.Response:
    """Scan console (扫码核验台) for institution staff"""
    return await render("scan_console.html")


async def wallet(request: web.Request) -> web.Response:
    """H5 wallet (我的培训券) for provincial HR apps"""
    return await render("wallet.html")


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/institution/scan", scan_console)
    app.router.add_get("/h5/wallet", wallet)
