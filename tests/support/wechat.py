"""The WeChat tests' environment: our app wired to a WeChat sandbox running as its own server.

Also the WeChat side of a callback, built with wechatpy (the other side's library).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, replace
from typing import Any

import xmltodict
from aiohttp.test_utils import TestClient
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner, to_text

from bot.callback import PATH
from channels.wechat.client import WechatClients
from channels.wechat.sandbox import STATE, SandboxState, create_sandbox
from channels.wechat.sandbox_state import CallbackTarget
from peixunquan.app import create_app
from peixunquan.appkeys import WECHAT
from peixunquan.config import Config
from tests.support.factories import auth
from vouchers.services import Services

PASSING_ID = "320202199003070012"
PASSING_NAME = "王小明"
OTHER_KEY = "b3RoZXItZW5jb2RpbmctYWVzLWtleS0xMTExMTExMTE"  # 43 characters, for key rotation


@dataclass
class WechatEnv:
    client: TestClient
    sandbox: SandboxState
    config: Config
    svc: Services

    @property
    def clients(self) -> WechatClients:
        return self.client.server.app[WECHAT]

    def follower(self, user: str) -> str:
        """The Official Account openid of sandbox user `user`."""
        return self.sandbox.openid(self.config.wechat_official.app_id, user)

    # --- mini program ---------------------------------------------------------------------

    async def login(self, user: str) -> str:
        response = await self.client.post("/api/v1/wechat/login", json={"code": f"sandbox{user}"})
        assert response.status == 200, await response.text()
        return (await response.json())["token"]

    async def verified(self, user: str, name: str = PASSING_NAME, id_number: str = PASSING_ID) -> str:
        token = await self.login(user)
        started = await self.client.post(
            "/api/v1/wechat/face-verifications", json={"name": name, "id_number": id_number}, headers=auth(token)
        )
        assert started.status == 201, await started.text()
        body = await started.json()
        await self.face_scan(body["verify_id"])
        confirmed = await self.client.post(
            "/api/v1/wechat/face-verifications/confirm", json={"out_seq_no": body["out_seq_no"]}, headers=auth(token)
        )
        assert confirmed.status == 200, await confirmed.text()
        return token

    async def face_scan(self, verify_id: str) -> None:
        """What wx.requestFacialVerify does on the phone."""
        self.sandbox.verifications[verify_id]["scanned"] = True

    # --- Official Account callback (the WeChat side, built with wechatpy) ------------------

    def signed_query(self, *, timestamp: int | None = None, token: str | None = None, **extra: str) -> dict[str, str]:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        nonce = secrets.token_hex(5)
        signer = WeChatSigner()
        signer.add_data(token or self.config.wechat_official.token, ts, nonce)
        return {"signature": signer.signature, "timestamp": ts, "nonce": nonce, **extra}

    async def post_plain(self, xml: str, **query: Any) -> Any:
        return await self.client.post(PATH, params=self.signed_query(**query), data=xml.encode())

    def crypto(self, key: str | None = None) -> WeChatCrypto:
        oa = self.config.wechat_official
        return WeChatCrypto(oa.token, key or oa.encoding_aes_key, oa.app_id)

    async def post_encrypted(self, xml: str, key: str | None = None, clear: str = "") -> tuple[Any, dict[str, str]]:
        """Safe mode; with `clear` (plaintext fields next to <Encrypt>) compatible mode."""
        query = self.signed_query()
        # wechatpy builds exactly what WeChat sends in safe mode: Encrypt + MsgSignature.
        envelope = self.crypto(key).encrypt_message(xml, query["nonce"], query["timestamp"])
        parsed = xmltodict.parse(to_text(envelope))["xml"]
        body = (
            "<xml><ToUserName><![CDATA[gh_sandbox]]></ToUserName>"
            f"<Encrypt><![CDATA[{parsed['Encrypt']}]]></Encrypt>{clear}</xml>"
        )
        query = {**query, "encrypt_type": "aes", "msg_signature": parsed["MsgSignature"]}
        response = await self.client.post(PATH, params=query, data=body.encode())
        return response, query


def text_xml(from_user: str, content: str, msg_id: int | None = None, create_time: int | None = None) -> str:
    return (
        "<xml><ToUserName><![CDATA[gh_sandbox]]></ToUserName>"
        f"<FromUserName><![CDATA[{from_user}]]></FromUserName>"
        f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id or secrets.randbelow(10**15)}</MsgId></xml>"
    )


def event_xml(
    from_user: str, event: str, key: str | None = None, extra: str = "", create_time: int | None = None
) -> str:
    key_xml = f"<EventKey><![CDATA[{key}]]></EventKey>" if key is not None else ""
    return (
        "<xml><ToUserName><![CDATA[gh_sandbox]]></ToUserName>"
        f"<FromUserName><![CDATA[{from_user}]]></FromUserName>"
        f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event>{key_xml}{extra}</xml>"
    )


async def make_env(
    aiohttp_client, aiohttp_server, config: Config, svc: Services, *, plaintext_too: bool = True, **official: Any
) -> WechatEnv:
    """With `plaintext_too` (most tests post plaintext) the Official Account's callback is in
    compatible mode; without it, in the configured (default: safe) mode."""
    if plaintext_too:
        official = {"callback_mode": "compatible", **official}
    sandbox_app = create_sandbox(
        {config.wechat.app_id: config.wechat.secret, config.wechat_official.app_id: config.wechat_official.secret}
    )
    server = await aiohttp_server(sandbox_app)
    base = str(server.make_url("")).rstrip("/")
    config = replace(
        config,
        wechat=replace(config.wechat, api_base=base),
        wechat_official=replace(config.wechat_official, api_base=base, **official),
    )
    client = await aiohttp_client(create_app(config, services=svc, manage_db=False))
    oa = config.wechat_official
    # WeChat posts the Official Account's events (a QR code scanned) to our callback.
    sandbox_app[STATE].callback = CallbackTarget(
        app_id=oa.app_id,
        url=str(client.make_url(PATH)),
        token=oa.token,
        encoding_aes_key=oa.encoding_aes_key,
        mode=oa.callback_mode,
    )
    return WechatEnv(client=client, sandbox=sandbox_app[STATE], config=config, svc=svc)
