"""The sandbox in `make run`: mounted under /_sandbox/wechat of the same server when the
configured api_base points there, and never otherwise."""

from __future__ import annotations

import time
from dataclasses import replace

import aiohttp
import pytest

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


async def test_template_messages_are_checked_as_wechat_checks_them(aiohttp_server):
    """wechatpy's own client against the sandbox: since May 2023 WeChat shows only a template's
    keyword fields, so `first`/`remark` (which our templates do not have) and over-long typed
    values are refused; a good message is kept with its links, so a test can see it is tappable."""
    import asyncio

    from wechatpy import WeChatClient
    from wechatpy.exceptions import WeChatClientException

    from channels.wechat.sandbox import STATE, create_sandbox

    official, miniapp = "wxsandboxofficial01", "wxsandboxminiapp01"
    sandbox = create_sandbox({official: "s1", miniapp: "s2"})
    server = await aiohttp_server(sandbox)
    base = str(server.make_url("/cgi-bin/"))
    async with aiohttp.ClientSession() as http:
        body = {"grant_type": "client_credential", "appid": official, "secret": "s1"}
        async with http.post(f"{base}stable_token", json=body) as r:
            token = (await r.json())["access_token"]
    wechat = WeChatClient(official, None, access_token=token)
    wechat.API_BASE_URL = base
    openid = sandbox[STATE].openid(official, "alice")
    good = {
        "thing1": {"value": "无锡市电工专项培训券"},
        "phrase2": {"value": "即将过期"},
        "time3": {"value": "2026-12-31"},
        "thing4": {"value": "请尽快报名参加培训"},
    }
    link = {"appid": miniapp, "pagepath": "pages/vouchers/detail?code=ABC"}

    def send(data: dict, **kw) -> dict:
        return wechat.message.send_template(openid, "sandbox-trainee-notice", data, **kw)

    refused = [
        good | {"first": {"value": "您的培训券即将过期"}, "remark": {"value": "请尽快报名"}},
        good | {"thing1": {"value": "无锡市2026年度职业技能提升电工专项培训券"}},  # thing: 20 characters at most
        good | {"phrase2": {"value": "培训券即将过期了"}},  # phrase: 5 characters at most
        good | {"time3": {"value": "年底"}},
        good | {"thing4": {"value": "请尽快\n报名"}},  # no line breaks
    ]
    for data in refused:
        with pytest.raises(WeChatClientException) as caught:
            await asyncio.to_thread(send, data, mini_program=link)
        assert caught.value.errcode == 47003
    with pytest.raises(WeChatClientException) as caught:
        await asyncio.to_thread(send, good, mini_program={"appid": "wxunknown", "pagepath": "pages/x"})
    assert caught.value.errcode == 40166  # a mini program not linked to the account
    result = await asyncio.to_thread(send, good, url="https://example.org/h5/wallet", mini_program=link)
    assert result["errcode"] == 0
    [sent] = sandbox[STATE].sent_to(openid)
    assert sent["miniprogram"] == link and sent["url"] == "https://example.org/h5/wallet"
    assert set(sent["data"]) == {"thing1", "phrase2", "time3", "thing4"}
