"""The Alipay client on its own: signing as the SDK does, keys, answers verified, errors typed."""

from __future__ import annotations

import asyncio
import base64
import os
import time
from dataclasses import replace
from datetime import datetime, timedelta

import aiohttp
import pytest
from aiohttp import web
from alipay.aop.api.util.SignatureUtils import get_sign_content, sign_with_rsa2
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from channels import errors
from channels.alipay import keys
from channels.alipay.client import GATEWAY_TZ, AlipayClient, AlipaySettings, BadSignature
from channels.alipay.passes import template_content
from channels.alipay.signing import Signer, Verifier, render_response, signed_response
from peixunquan.app import create_app
from peixunquan.config import AlipayConfig, Config, ConfigError
from tests.support.alipay import AlipayEnv

PRIVATE = keys.new_private_key()
OTHER_PRIVATE = keys.new_private_key()


def test_signatures_are_byte_for_byte_the_sdks() -> None:
    params = {"app_id": "2021", "biz_content": '{"a":"中文"}', "method": "x.y", "empty": ""}
    for charset in ("utf-8", "gbk"):
        assert Signer(PRIVATE).sign_params(params, charset) == sign_with_rsa2(
            PRIVATE, get_sign_content(params), charset
        )


def test_keys_in_the_shapes_alipay_hands_out_are_accepted() -> None:
    key = serialization.load_pem_private_key(PRIVATE.encode(), password=None)
    pkcs8 = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    bare = "".join(line for line in pkcs8.splitlines() if "-----" not in line)
    assert keys.private_key_pkcs1(pkcs8) == keys.private_key_pkcs1(bare) == PRIVATE
    public = keys.public_of(PRIVATE)
    bare_public = "".join(line for line in public.splitlines() if "-----" not in line)
    assert keys.public_key_pem(bare_public) == public
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    for bad in (small.decode(), "not a key!", "QUJD", public):
        with pytest.raises(keys.InvalidKey):
            keys.private_key_pkcs1(bad)


def test_production_mode_needs_its_key_files(config: Config, tmp_path) -> None:
    production = replace(
        config,
        alipay=AlipayConfig(
            gateway_url="https://gateway.example/gateway.do",
            app_private_key_path=str(tmp_path / "missing.pem"),
            alipay_public_key_path=str(tmp_path / "alipay.pem"),
        ),
    )
    with pytest.raises(ConfigError) as raised:
        create_app(production)
    assert raised.value.key == "alipay.app_private_key_path"
    assert not (tmp_path / "missing.pem").exists()  # nothing is generated outside the sandbox


def test_the_signed_text_is_cut_from_the_raw_answer() -> None:
    body = {"code": "10000", "msg": "Success", "tricky": 'a "}" and a {"sign": "x"}', "中文": "值"}
    raw = render_response("alipay.x.y", body, Signer(PRIVATE))
    parsed, text, sign = signed_response(raw, "alipay.x.y")
    verifier = Verifier(keys.public_of(PRIVATE))
    assert parsed == body and verifier.verify(text.encode(), sign)
    assert not verifier.verify(text.replace("值", "假").encode(), sign)
    assert not Verifier(keys.public_of(OTHER_PRIVATE)).verify(text.encode(), sign)


async def test_every_method_against_the_sandbox(alipay: AlipayEnv) -> None:
    client = alipay.client
    # the mounted sandbox, on this server's own port (a URL with a port: the SDK's transport
    # cannot send there)
    assert client.settings.gateway_url == f"http://127.0.0.1:{alipay.http.port}/_sandbox/alipay/gateway.do"
    login = await client.login("sandbox-qianqi")
    assert login.subject == alipay.sandbox.open_id("qianqi") and login.user_id == alipay.sandbox.user_id("qianqi")
    certify_id = await client.certify_initialize("order-1", "钱七", "110101199003070011", "http://x/")
    assert (await client.certify_query(certify_id)).passed is False
    tpl_id = await client.pass_template_add("batch-1", template_content("测试"))
    assert await client.pass_template_add("batch-1", template_content("测试")) == tpl_id  # unique_id: idempotent
    serial = await client.pass_instance_add(tpl_id, {"serialNumber": "S1", "title": "券"}, login.user_id or "")
    assert serial == "S1" and alipay.sandbox.passes["S1"]["status"] == "ACTIVE"
    await client.pass_instance_update("S1", client.settings.app_id, tpl_params={"serialNumber": "S1", "title": "新券"})
    assert alipay.sandbox.passes["S1"]["shown"]["title"] == "新券" and alipay.sandbox.passes["S1"]["status"] == "ACTIVE"
    await client.pass_instance_update("S1", client.settings.app_id, "USED")
    assert alipay.sandbox.passes["S1"]["status"] == "USED" and alipay.sandbox.passes["S1"]["shown"]["title"] == "新券"
    with pytest.raises(ValueError):
        await client.pass_instance_update("S1", client.settings.app_id)  # neither status nor tpl_params
    await client.send_template_message(login.subject, "tpl-1", "pages/index", {"keyword1": {"value": "值"}})
    assert alipay.sandbox.messages[-1]["data"] == {"keyword1": {"value": "值"}}


async def test_timestamps_are_beijing_time_whatever_the_machine_zone(alipay: AlipayEnv, monkeypatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        await alipay.client.login("sandbox-tz")
    finally:
        monkeypatch.undo()
        time.tzset()
    sent = datetime.strptime(alipay.sandbox.calls[-1]["timestamp"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=GATEWAY_TZ)
    assert abs(sent - datetime.now(GATEWAY_TZ)) < timedelta(minutes=1)


async def test_an_answer_not_signed_by_alipay_is_refused(alipay: AlipayEnv) -> None:
    settings = replace(alipay.client.settings, alipay_public_key=keys.public_of(OTHER_PRIVATE))
    with pytest.raises(BadSignature):
        await AlipayClient(alipay.http.session, settings).login("sandbox-a")


async def test_gateway_refusals_are_typed(alipay: AlipayEnv) -> None:
    session = alipay.http.session
    unknown_key = replace(alipay.client.settings, app_private_key=OTHER_PRIVATE)
    with pytest.raises(errors.AuthFailed):
        await AlipayClient(session, unknown_key).login("sandbox-b")
    with pytest.raises(errors.AuthFailed):
        await AlipayClient(session, replace(alipay.client.settings, app_id="2021999")).login("sandbox-b")
    send = "alipay.open.app.mini.templatemessage.send"
    for sub_code, code, expected in (
        ("NO_SUBSCRIBE_RELATION", "40004", errors.NoConsent),
        ("USER_TEMPLATE_ILLEGAL", "40004", errors.BadData),
        ("SEND_LIMIT", "40004", errors.QuotaExhausted),
        ("isv.invalid-user", "40004", errors.BadRecipient),
        ("isp.unknow-error", "20000", errors.Retryable),
        ("SOMETHING_NEW", "40004", errors.Permanent),
    ):
        alipay.sandbox.fail(send, sub_code, code=code)
        with pytest.raises(expected) as raised:
            await alipay.client.send_template_message("0abc", "tpl", "p", {})
        assert raised.value.code == sub_code
    await alipay.client.login("sandbox-c")
    with pytest.raises(errors.BadData):
        await alipay.client.login("sandbox-c")  # auth codes are single-use: isv.code-invalid


@pytest.fixture
async def broken_gateway(aiohttp_server):
    """A server that answers whatever the test sets, to see the client cope."""
    state: dict = {"status": 200, "body": "", "delay": 0.0}

    async def answer(request: web.Request) -> web.Response:
        await asyncio.sleep(state["delay"])
        return web.Response(status=state["status"], text=state["body"], content_type="application/json")

    app = web.Application()
    app.router.add_post("/gateway.do", answer)
    server = await aiohttp_server(app)
    return state, str(server.make_url("/gateway.do"))


async def test_transport_failures_are_retryable_and_unsigned_success_is_refused(broken_gateway) -> None:
    state, url = broken_gateway
    async with aiohttp.ClientSession() as session:
        client = AlipayClient(
            session,
            broken_settings(url),
        )
        method_key = "alipay_system_oauth_token_response"
        state["body"] = '{"' + method_key + '":{"code":"10000","user_id":"2088"}}'
        with pytest.raises(BadSignature):
            await client.login("c")
        state["body"] = (
            '{"'
            + method_key
            + '":{"code":"10000","user_id":"2088"},"sign":"'
            + base64.b64encode(b"x" * 256).decode()
            + '"}'
        )
        with pytest.raises(BadSignature):
            await client.login("c")
        for status, body in ((502, "<html>bad gateway</html>"), (200, "not json"), (200, "[]"), (200, "{}")):
            state.update(status=status, body=body)
            with pytest.raises(errors.Retryable):
                await client.login("c")
        state.update(status=200, body="{}", delay=1.5)
        with pytest.raises(errors.Retryable):
            await client.login("c")
    async with aiohttp.ClientSession() as session:
        with pytest.raises(errors.Retryable):
            await AlipayClient(session, broken_settings("http://127.0.0.1:1/gateway.do")).login("c")


def broken_settings(url: str):

    return AlipaySettings("2021", url, PRIVATE, keys.public_of(OTHER_PRIVATE), timeout_s=1)


def test_no_logger_is_ever_given_to_the_sdk() -> None:
    # The SDK's DefaultAlipayClient logs whole requests (cert_no included) when given a logger;
    # we never construct it at all.
    import channels.alipay.client as module

    source = open(module.__file__, encoding="utf-8").read()
    assert "DefaultAlipayClient(" not in source and os.path.basename(module.__file__) == "client.py"
