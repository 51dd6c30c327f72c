"""Server-rendered pages: the start page that tells a newcomer where to go, the bureau console,
the institution portal and the trainee's H5 pages."""

from __future__ import annotations

from aiohttp import web

from peixunquan import PROJECT_ROOT
from web import console, h5_pages, institution_pages
from web.templates import render


async def index(request: web.Request) -> web.Response:
    """Start page: the way to each user's pages (the API is described at /openapi.json)"""
    return await render("index.html")


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/", index)
    institution_pages.setup_routes(app)
    console.setup_routes(app)
    h5_pages.setup_routes(app)
    app.router.add_static("/static/", PROJECT_ROOT / "static", name="static")
