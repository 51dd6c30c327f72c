"""The sandbox in `make run`: mounted under /_sandbox/wechat of the same server when the
configured api_base points there, and never otherwise."""

from __future__ import annotations

import time
from dataclasses import replace

import aiohttp

from bot.callback import PATH
from peixunquan.app import create_app
from peixunquan.config import Config, WechatConfig, WechatOfficialConfig
from peixunquan.wechat_setup import sandbox_is_local


def test_defaults_use_the_local_sandbox_and_a_real_base_does_not():
    assert sandbox_is_local(Config())
    real = "https://api.weixin.qq.com"
    production = Config(wechat=WechatConfig(api_base=real), wechat_official=WechatOfficialConfig(api_base=real))
    assert not sandbox_is_local(production)
    app = create_app(production, manage_db=False)
    assert not any(r.resource and r.resource.canonical.startswith("/_sandbox/wechat") for r in app.router.routes())


async def test_make_run_mounts_the_sandbox_in_the_same_server(aiohttp_server, unused_tcp_port, config, svc):
    """With the default api_base the server talks to its own /_sandbox/wechat."""
    port = unused_tcp_port
    # Only [server] port changes: the default api_base (port 8080) still means "this server".
    cfg = replace(config, server=replace(config.server, port=port))
    server = await aiohttp_server(create_app(cfg, services=svc, manage_db=False), port=port)
    async with aiohttp.ClientSession() as http:
        async with http.post(server.make_url("/api/v1/wechat/login"), json={"code": "sandboxdemo"}) as response:
            assert response.status == 200, await response.text()
            assert (await response.json())["token"]
        async with http.get(server.make_url("/_sandbox/wechat/sandbox/sent")) as response:
            assert await response.json() == []
        async with http.get(server.make_url(PATH), params={"echostr": "x", "timestamp": str(int(time.time()))}) as r:
            assert r.status == 403
