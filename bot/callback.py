"""GET/POST /wechat/official: URL verification and message callbacks.

Order of checks, each before anything changes: size (400), signature and timestamp window
(403), the configured mode (`[wechat.official] callback_mode`: safe refuses a message without
encrypt_type=aes, 403), decryption (400), XML and fields (400), the (timestamp, nonce) pair
used once (`bot.nonces`, 403 for another body). Then deduplication, then the router.
WeChat gives up after 5 s and retries; we answer within `REPLY_BUDGET_S` whatever happens:
a handler still running then continues in the background and its reply goes out through the
customer-service message API.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from bot import security
from bot.dedupe import Deduper
from bot.handlers import BotContext, router
from bot.inbound import MAX_BODY, BadMessage, Inbound, inbound, parse_xml
from bot.nonces import CallbackNonces
from bot.replies import text_reply_xml
from channels import errors as channel_errors
from peixunquan.appkeys import BOT_BACKGROUND, CONFIG, SERVICES, WECHAT

log = logging.getLogger(__name__)

PATH = "/wechat/official"
REPLY_BUDGET_S = 0.8  # under the one second we promise, leaving time to encrypt and send


def setup_routes(app: web.Application) -> None:
    app[BOT_BACKGROUND] = set()
    app.router.add_get(PATH, verify_url)
    app.router.add_post(PATH, receive)
    app.on_shutdown.append(_finish_background)


def _plain(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/plain")


def _authenticate(request: web.Request) -> None:
    """Signature over (token, timestamp, nonce) and the timestamp window; raises Forbidden."""
    config = request.app[CONFIG].wechat_official
    q = request.query
    timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
    security.check_signature(config.token, q.get("signature", ""), timestamp, nonce)
    security.check_timestamp(timestamp, config.max_skew_s)


async def verify_url(request: web.Request) -> web.Response:
    try:
        _authenticate(request)
    except security.Forbidden:
        return _plain("forbidden", 403)
    return _plain(request.query.get("echostr", ""))


async def receive(request: web.Request) -> web.Response:
    try:
        _authenticate(request)
    except security.Forbidden:
        return _plain("forbidden", 403)
    if request.content_length is not None and request.content_length > MAX_BODY:
        return _plain("body too large", 400)
    body = await request.content.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        return _plain("body too large", 400)
    try:
        message, key = _open(request, body)
    except security.Forbidden:
        return _plain("forbidden", 403)
    except (BadMessage, security.Undecryptable) as exc:
        log.info("wechat callback refused: %s", exc)
        return _plain("bad request", 400)
    nonces = CallbackNonces(request.app[SERVICES].redis, request.app[CONFIG].wechat_official.max_skew_s)
    try:
        first = await nonces.first_use(request.query.get("timestamp", ""), request.query.get("nonce", ""), body)
    except security.Forbidden as exc:
        log.info("wechat callback refused: %s", exc)
        return _plain("forbidden", 403)
    if first:
        reply = await _reply_once(request, message)
    else:  # WeChat's retry of this very request: the first reply, never a second run
        reply = await Deduper(request.app[SERVICES].redis).first_reply(message.dedupe_key, REPLY_BUDGET_S) or ""
    if not reply:
        return _plain("success")
    if key is None:
        return web.Response(text=reply, content_type="application/xml")
    q = request.query
    keys = security.Keys(request.app[CONFIG].wechat_official)
    encrypted = keys.encrypt(reply, key, q.get("nonce", ""), q.get("timestamp", ""))
    return web.Response(text=encrypted, content_type="application/xml")


def _open(request: web.Request, body: bytes) -> tuple[Inbound, str | None]:
    """-> (message, the AES key it was encrypted with, None in plaintext mode)."""
    config = request.app[CONFIG].wechat_official
    outer = parse_xml(body)
    if request.query.get("encrypt_type", "raw") != "aes":
        if config.callback_mode == "safe":
            # Only the ciphertext is signed: a plaintext body under a captured URL is a forgery.
            raise security.Forbidden("plaintext message in safe mode")
        return inbound(outer), None  # plaintext (compatible mode also sends the fields in clear)
    if config.callback_mode == "plaintext":
        raise BadMessage("encrypted message in plaintext mode")
    encrypted = outer.get("Encrypt")
    if not isinstance(encrypted, str) or not encrypted or len(encrypted) > MAX_BODY:
        raise BadMessage("missing Encrypt")
    q = request.query
    security.check_signature(
        config.token, q.get("msg_signature", ""), q.get("timestamp", ""), q.get("nonce", ""), encrypted
    )
    plaintext, key = security.Keys(config).decrypt(encrypted)
    return inbound(parse_xml(plaintext.encode())), key


async def _reply_once(request: web.Request, message: Inbound) -> str:
    """The reply XML ('' for none). A retry of a message already seen gets the first reply."""
    deduper = Deduper(request.app[SERVICES].redis)
    if not await deduper.claim(message.dedupe_key):
        return await deduper.first_reply(message.dedupe_key, REPLY_BUDGET_S) or ""
    handler = router.resolve(message)
    if handler is None:
        await deduper.remember(message.dedupe_key, "")
        return ""
    ctx = BotContext(config=request.app[CONFIG], official=request.app[WECHAT].official)
    task = asyncio.ensure_future(handler(ctx, message))
    try:
        text = await asyncio.wait_for(asyncio.shield(task), REPLY_BUDGET_S)
    except TimeoutError:
        # Too slow for a passive reply: answer "success" now, send the text later.
        background = request.app[BOT_BACKGROUND]
        later = asyncio.ensure_future(_answer_later(ctx, message, task))
        background.add(later)
        later.add_done_callback(background.discard)
        await deduper.remember(message.dedupe_key, "")
        return ""
    reply = text_reply_xml(message.to_user, message.from_user, text) if text else ""
    await deduper.remember(message.dedupe_key, reply)
    return reply


async def _answer_later(ctx: BotContext, message: Inbound, task: asyncio.Future[Any]) -> None:
    try:
        text = await task
        if text:
            await ctx.official.send_custom_text(message.from_user, text)
    except channel_errors.ChannelError as exc:
        log.warning("customer-service reply not sent: %s", exc)
    except Exception:
        log.exception("chat-bot handler failed in the background")


async def _finish_background(app: web.Application) -> None:
    pending = list(app[BOT_BACKGROUND])
    if pending:
        await asyncio.wait(pending, timeout=5)
