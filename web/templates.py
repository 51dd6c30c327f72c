"""Jinja2 rendering for the pages in web/ (templates/ at the project root, autoescaped)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from peixunquan import PROJECT_ROOT

_env = Environment(
    loader=FileSystemLoader(PROJECT_ROOT / "templates"), autoescape=select_autoescape(), enable_async=True
)


async def render(name: str, **context: Any) -> web.Response:
    html = await _env.get_template(name).render_async(**context)
    # The pages carry tokens in sessionStorage: no framing by other sites, no referrer leaks.
    headers = {
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": "default-src 'self'; img-src 'self' blob: data:; style-src 'self'",
        "Cache-Control": "no-store",
    }
    return web.Response(text=html, content_type="text/html", headers=headers)
