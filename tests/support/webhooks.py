"""An institution's webhook endpoint: the `webhook_receiver` fixture checks each notice's signature."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from aiohttp import web

WEBHOOK_SECRET = "institution-webhook-secret"


@pytest.fixture
async def webhook_receiver(aiohttp_server) -> tuple[str, list[dict]]:
    """A server taking notices signed with WEBHOOK_SECRET: (its URL, the bodies received so far)."""
    received: list[dict] = []

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        ts = request.headers["X-Pxq-Timestamp"]
        good = hmac.new(WEBHOOK_SECRET.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
        assert request.headers["X-Pxq-Signature"] == f"sha256={good}"
        received.append(json.loads(body))
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/notices", hook)
    server = await aiohttp_server(app)
    return str(server.make_url("/notices")), received
