"""Wiring of the WeChat channel: one shared aiohttp session, a client per app id, and the
sandbox mounted in this server when the configured API base points at it.

Why mount rather than run a second listener: `make run` then needs one process and one port,
the worker reaches the sandbox through the same public address, and a production config
(api_base = WeChat) simply never mounts it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from bot.callback import PATH as CALLBACK_PATH
from channels.wechat.client import WechatClient, WechatClients
from channels.wechat.sandbox import STATE, create_sandbox
from channels.wechat.sandbox_state import CallbackTarget
from peixunquan.appkeys import CONFIG, SERVICES, WECHAT, WECHAT_SANDBOX
from peixunquan.config import Config

SANDBOX_PREFIX = "/_sandbox/wechat"
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def sandbox_is_local(config: Config) -> bool:
    """True when an api_base names this server's own /_sandbox/wechat."""
    for base in (config.wechat.api_base, config.wechat_official.api_base):
        url = urlsplit(base)
        if url.path.rstrip("/") == SANDBOX_PREFIX and url.hostname in _LOCAL_HOSTS | {config.server.host}:
            return True
    return False


def setup_wechat(app: web.Application, config: Config) -> None:
    if sandbox_is_local(config):
        sandbox = create_sandbox(
            {
                config.wechat.app_id: config.wechat.secret,
                config.wechat_official.app_id: config.wechat_official.secret,
            },
            state_file=config.wechat.sandbox_state_file,
        )
        # The sandbox posts the Official Account's events (a QR code scanned) to our callback.
        oa = config.wechat_official
        sandbox[STATE].callback = CallbackTarget(
            app_id=oa.app_id,
            url=_own_address(config) + CALLBACK_PATH,
            token=oa.token,
            encoding_aes_key=oa.encoding_aes_key,
            mode=oa.callback_mode,
        )
        app[WECHAT_SANDBOX] = sandbox
        app.add_subapp(SANDBOX_PREFIX, sandbox)
    app.cleanup_ctx.append(_clients)


def _own_sandbox(config: Config, api_base: str) -> str:
    """A local sandbox base always means this server's own address, whatever port the URL in
    the config names, so changing [server] port does not also require changing api_base."""
    if urlsplit(api_base).path.rstrip("/") != SANDBOX_PREFIX:
        return api_base
    return _own_address(config) + SANDBOX_PREFIX


def _own_address(config: Config) -> str:
    host = config.server.host if config.server.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{config.server.port}"


def worker_clients(config: Config, session: aiohttp.ClientSession, redis: object) -> WechatClients:
    """The clients a worker process sends with. A local sandbox is the one the server mounts."""
    mp = replace(config.wechat, api_base=_own_sandbox(config, config.wechat.api_base))
    oa = replace(config.wechat_official, api_base=_own_sandbox(config, config.wechat_official.api_base))
    return WechatClients(
        session=session,
        miniapp=WechatClient(
            session, redis, app_id=mp.app_id, secret=mp.secret, api_base=mp.api_base, timeout_s=mp.timeout_s
        ),
        official=WechatClient(
            session, redis, app_id=oa.app_id, secret=oa.secret, api_base=oa.api_base, timeout_s=mp.timeout_s
        ),
    )


async def _clients(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    redis = app[SERVICES].redis
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=config.wechat.timeout_s))
    local = WECHAT_SANDBOX in app
    mp = replace(config.wechat, api_base=_own_sandbox(config, config.wechat.api_base)) if local else config.wechat
    oa = config.wechat_official
    if local:
        oa = replace(oa, api_base=_own_sandbox(config, oa.api_base))
    app[WECHAT] = WechatClients(
        session=session,
        miniapp=WechatClient(
            session, redis, app_id=mp.app_id, secret=mp.secret, api_base=mp.api_base, timeout_s=mp.timeout_s
        ),
        official=WechatClient(
            session, redis, app_id=oa.app_id, secret=oa.secret, api_base=oa.api_base, timeout_s=mp.timeout_s
        ),
    )
    yield
    await session.close()
