"""The async WeChat client against the sandbox: access tokens shared by all callers with a
single refresher, one refresh and one retry on a refused token, timeouts, error mapping."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from aiohttp import web

from channels import errors
from channels.wechat.client import WechatClient, cert_hash
from channels.wechat.errors import TokenRejected
from channels.wechat.sandbox import STATE, create_sandbox
from peixunquan.redis_client import connect_redis

APP, SECRET = "wxtestapp", "test-secret"


@pytest.fixture
async def sandbox(aiohttp_server):
    app = create_sandbox({APP: SECRET})
    server = await aiohttp_server(app)
    return app[STATE], str(server.make_url("")).rstrip("/")


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


def make_client(http, svc, base, secret=SECRET, timeout_s=5.0):
    return WechatClient(http, svc.redis, app_id=APP, secret=secret, api_base=base, timeout_s=timeout_s)


async def test_many_concurrent_calls_in_two_processes_fetch_one_token(svc, config, sandbox, http):
    state, base = sandbox
    # Two clients with their own in-process state and their own Redis connection, sharing only
    # Redis: what two server processes are.
    other_redis = connect_redis(config.redis.url) if not config.redis.url.startswith("memory") else svc.redis
    first = make_client(http, svc, base)
    second = WechatClient(http, other_redis, app_id=APP, secret=SECRET, api_base=base)
    users = [state.openid(APP, f"user{i}") for i in range(20)]
    results = await asyncio.gather(
        *[c.send_custom_text(u, "你好") for u in users for c in (first, second)], return_exceptions=True
    )
    assert all(r is None for r in results), results
    assert len(state.token_fetches) == 1
    assert len(state.sent) == 40
    if other_redis is not svc.redis:
        await other_redis.aclose()


async def test_refused_token_is_refreshed_once_and_the_call_retried_once(svc, sandbox, http):
    state, base = sandbox
    client = make_client(http, svc, base)
    openid = state.openid(APP, "alice")
    await client.send_custom_text(openid, "一")
    state.expire_tokens()  # WeChat now answers 42001 for the cached token
    await client.send_custom_text(openid, "二")
    assert [f["force_refresh"] for f in state.token_fetches] == [False, True]
    assert [m["text"]["content"] for m in state.sent] == ["一", "二"]


async def test_a_token_refused_again_after_the_refresh_is_not_retried_in_a_loop(svc, aiohttp_server, http):
    calls: list[str] = []

    async def token(request: web.Request) -> web.Response:
        calls.append("token")
        return web.json_response({"access_token": f"t{len(calls)}", "expires_in": 7200})

    async def always_invalid(request: web.Request) -> web.Response:
        calls.append("send")
        return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})

    app = web.Application()
    app.router.add_post("/cgi-bin/stable_token", token)
    app.router.add_post("/cgi-bin/message/custom/send", always_invalid)
    server = await aiohttp_server(app)
    client = make_client(http, svc, str(server.make_url("")).rstrip("/"))
    with pytest.raises(TokenRejected):
        await client.send_custom_text("oX", "hi")
    assert calls == ["token", "send", "token", "send"]


async def test_wrong_secret_is_auth_failed(svc, sandbox, http):
    _, base = sandbox
    with pytest.raises(errors.AuthFailed):
        await make_client(http, svc, base, secret="wrong").send_custom_text("o1", "hi")


async def test_subscribe_errors_map_to_what_the_worker_acts_on(svc, sandbox, http):
    state, base = sandbox
    client = make_client(http, svc, base)
    alice = state.openid(APP, "alice")
    with pytest.raises(errors.NoConsent) as no_consent:  # 43101
        await client.send_subscribe(alice, "tpl", {"thing1": "培训券"})
    assert no_consent.value.code == 43101
    state.consents[(APP, alice, "tpl")] = 1
    with pytest.raises(errors.BadData) as bad:  # 47003, errmsg names the field
        await client.send_subscribe(alice, "tpl", {"thing1": ""})
    assert "thing1" in str(bad.value)
    with pytest.raises(errors.BadRecipient):  # 40003: openid of another app
        await client.send_subscribe("o-not-ours", "tpl", {"thing1": "培训券"})
    assert await client.send_subscribe(alice, "tpl", {"thing1": "培训券"})
    assert state.consents[(APP, alice, "tpl")] == 0


async def test_timeouts_and_server_errors_are_retryable(svc, aiohttp_server, http):
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(3)
        return web.json_response({})

    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=502, text="bad gateway")

    app = web.Application()
    app.router.add_get("/sns/jscode2session", slow)
    app.router.add_post("/cgi-bin/stable_token", broken)
    server = await aiohttp_server(app)
    client = make_client(http, svc, str(server.make_url("")).rstrip("/"), timeout_s=0.3)
    with pytest.raises(errors.Retryable):
        await client.jscode2session("sandboxx")
    with pytest.raises(errors.Retryable):
        await client.send_custom_text("o1", "hi")


async def test_quota_and_busy_codes(svc, aiohttp_server, http):
    answers = iter([{"errcode": 45009, "errmsg": "reach max api daily quota limit"}, {"errcode": -1, "errmsg": "busy"}])

    async def login(request: web.Request) -> web.Response:
        return web.Response(text=json.dumps(next(answers)), content_type="text/plain")  # WeChat's content type

    app = web.Application()
    app.router.add_get("/sns/jscode2session", login)
    server = await aiohttp_server(app)
    client = make_client(http, svc, str(server.make_url("")).rstrip("/"))
    with pytest.raises(errors.QuotaExhausted):
        await client.jscode2session("c")
    with pytest.raises(errors.Retryable):
        await client.jscode2session("c")


def test_cert_hash_is_sha256_over_base64_fields():
    # Worked by hand from the documented recipe, for "张三" / 110101199003071234.
    import base64
    import hashlib

    text = "cert_type=" + base64.b64encode(b"IDENTITY_CARD").decode()
    text += "&cert_name=" + base64.b64encode("张三".encode()).decode()
    text += "&cert_no=" + base64.b64encode(b"110101199003071234").decode()
    assert text.startswith("cert_type=SURFTlRJVFlfQ0FSRA==&cert_name=5byg5LiJ&cert_no=")
    assert cert_hash("张三", "110101199003071234") == hashlib.sha256(text.encode()).hexdigest()


async def test_a_parametric_qr_code_is_made_as_wechat_makes_it(svc, sandbox, http):
    state, base = sandbox
    client = make_client(http, svc, base)
    made = await client.create_qrcode("staff:abcdefgh12345678", 1800)
    assert made.url.startswith("http://weixin.qq.com/q/") and made.expire_seconds == 1800
    assert state.qrcodes[made.ticket]["scene"] == "staff:abcdefgh12345678"
    # WeChat's limits: a scene of at most 64 characters, at most 30 days.
    with pytest.raises(errors.Permanent):
        await client.create_qrcode("x" * 65, 1800)
    with pytest.raises(errors.Permanent):
        await client.create_qrcode("staff:x", 31 * 86400)
