"""Headers every answer that is not a page carries (`on_response_prepare`, so streamed exports,
static files and aiohttp's own errors get them too).

An API answer is data, never a document: if a browser is ever made to open one as a page, the
policy lets nothing load or run in it and no site frame it, and `nosniff` stops a browser from
guessing a script or a page out of JSON. Pages set their own, stricter-for-them policy
(`web/templates.py`), which is left as it is."""

from __future__ import annotations

from aiohttp import web

API_CSP = "default-src 'none'; frame-ancestors 'none'"


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.content_type != "text/html":
        response.headers.setdefault("Content-Security-Policy", API_CSP)
