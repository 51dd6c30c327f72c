"""At delivery the webhook's host is resolved, every address it resolves to is checked, and the
connection goes to the address that was checked (no second look-up a rebinding DNS could answer
differently). Redirects are not followed."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web

from channels import errors
from channels.webhook import WebhookSender

SECRET = "s3cret-of-the-institution"


@pytest.fixture
async def receiver(aiohttp_server):
    hosts: list[str] = []

    async def hook(request: web.Request) -> web.Response:
        await request.read()
        hosts.append(request.headers["Host"])
        return web.Response(status=204)

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("http://169.254.169.254/latest/meta-data/")

    app = web.Application()
    app.router.add_post("/hook", hook)
    app.router.add_post("/moved", moved)
    server = await aiohttp_server(app)
    return server, hosts


def _resolving_to(address: str):
    async def resolve(host: str, port: int) -> list[str]:
        return [address]

    return resolve


async def test_an_inside_address_is_refused_at_delivery_and_nothing_is_sent(receiver) -> None:
    server, hosts = receiver
    async with aiohttp.ClientSession() as http:
        sender = WebhookSender(http)  # production: inside addresses not allowed
        with pytest.raises(errors.BadData):
            await sender.post(str(server.make_url("/hook")), SECRET, {}, "k1")
        # A name that resolves inside (DNS changed after registration) is refused as well.
        rebinding = WebhookSender(http, resolve=_resolving_to("127.0.0.1"))
        with pytest.raises(errors.BadData):
            await rebinding.post(f"http://hooks.example.com:{server.port}/hook", SECRET, {}, "k2")
    assert hosts == []


async def test_the_connection_goes_to_the_address_that_was_checked(receiver) -> None:
    server, hosts = receiver
    async with aiohttp.ClientSession() as http:
        sender = WebhookSender(http, allow_private=True, resolve=_resolving_to("127.0.0.1"))
        await sender.post(f"http://hooks.example.com:{server.port}/hook", SECRET, {}, "k3")
    # Delivered to 127.0.0.1 (the resolved address), naming the registered host.
    assert hosts == [f"hooks.example.com:{server.port}"]


async def test_a_redirect_is_not_followed(receiver) -> None:
    server, _ = receiver
    async with aiohttp.ClientSession() as http:
        with pytest.raises(errors.BadData):
            await WebhookSender(http, allow_private=True).post(str(server.make_url("/moved")), SECRET, {}, "k4")
