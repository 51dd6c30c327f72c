"""Institution webhooks: a receiver can check the signature; answers map to retry or give up."""

from __future__ import annotations

import hashlib
import hmac
import json

import aiohttp
import pytest
from aiohttp import web

from channels import errors
from channels.webhook import WebhookSender

SECRET = "s3cret-of-the-institution"


@pytest.fixture
async def receiver(aiohttp_server):
    seen: list[dict] = []
    answers: list[int] = []

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        timestamp = request.headers["X-Pxq-Timestamp"]
        expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        seen.append(
            {
                "valid": hmac.compare_digest(request.headers["X-Pxq-Signature"], f"sha256={expected}"),
                "delivery": request.headers["X-Pxq-Delivery"],
                "payload": json.loads(body),
            }
        )
        return web.Response(status=answers.pop(0) if answers else 204)

    app = web.Application()
    app.router.add_post("/hook", hook)
    server = await aiohttp_server(app)
    return server, seen, answers


async def test_a_delivery_is_signed_and_carries_its_delivery_key(receiver) -> None:
    server, seen, _ = receiver
    async with aiohttp.ClientSession() as http:
        sent = await WebhookSender(http, allow_private=True).post(
            str(server.make_url("/hook")), SECRET, {"学员": "张*"}, "pxq-outbox-7"
        )
    assert sent == "pxq-outbox-7"
    assert seen == [{"valid": True, "delivery": "pxq-outbox-7", "payload": {"学员": "张*"}}]


@pytest.mark.parametrize(("status", "error"), [(500, errors.Retryable), (429, errors.Retryable), (410, errors.BadData)])
async def test_answers_map_to_retry_or_permanent(receiver, status, error) -> None:
    server, _, answers = receiver
    answers.append(status)
    async with aiohttp.ClientSession() as http:
        with pytest.raises(error):
            await WebhookSender(http, allow_private=True).post(str(server.make_url("/hook")), SECRET, {}, "k")


async def test_an_unreachable_receiver_is_retried() -> None:
    async with aiohttp.ClientSession() as http:
        with pytest.raises(errors.Retryable):
            await WebhookSender(http, timeout_s=2, allow_private=True).post("http://127.0.0.1:1/hook", SECRET, {}, "k")
