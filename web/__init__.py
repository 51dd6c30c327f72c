"""Server-rendered pages. For now the start page that tells a newcomer where to go."""

from __future__ import annotations

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from peixunquan import PROJECT_ROOT
from web import console, institution_pages

_env = Environment(
    loader=FileSystemLoader(PROJECT_ROOT / "templates"), autoescape=select_autoescape(), enable_async=True
)


async def index(request: web.Request) -> web.Response:
    routes = [
        (route.method, route.resource.canonical, route.handler.__doc__ or "")
        for route in request.app.router.routes()
        if route.resource is not None and route.resource.canonical.startswith("/api/") and route.method != "HEAD"
    ]
    html = await _env.get_template("index.html").render_async(routes=routes)
    return web.Response(text=html, content_type="text/html")


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/", index)
    institution_pages.setup_routes(app)
    console.setup_routes(app)
    app.router.add_static("/static/", PROJECT_ROOT / "static", name="static")
