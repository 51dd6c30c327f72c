"""Parametric QR codes in the WeChat sandbox: `cgi-bin/qrcode/create` as WeChat answers it, and
a phone scanning one (`/sandbox/scan-qrcode`): the user follows the Official Account and WeChat
posts the scan event to the account's server URL, signed and, outside plaintext mode, encrypted
with wechatpy (the library WeChat's own examples follow), as WeChat does."""

from __future__ import annotations

import secrets
import time
from typing import Any

import aiohttp
import xmltodict
from aiohttp import web
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner, to_text

from channels.wechat.sandbox_state import STATE, CallbackTarget, SandboxState
from channels.wechat.sandbox_state import err as _err
from channels.wechat.sandbox_state import ok as _ok
from channels.wechat.sandbox_state import read_json as _json

MAX_EXPIRE_S = 2_592_000  # 30 days, WeChat's limit for a temporary code
URL_PREFIX = "http://weixin.qq.com/q/"


def create_qrcode(state: SandboxState, app_id: str, body: dict[str, Any]) -> web.Response:
    if body.get("action_name") != "QR_STR_SCENE":
        return _err(40097, "invalid args: only QR_STR_SCENE in this sandbox")
    scene = ((body.get("action_info") or {}).get("scene") or {}).get("scene_str")
    if not isinstance(scene, str) or not 1 <= len(scene) <= 64:
        return _err(40097, "invalid args: scene_str must be 1 to 64 characters")
    expire = body.get("expire_seconds", 60)
    if not isinstance(expire, int) or not 60 <= expire <= MAX_EXPIRE_S:
        return _err(40097, "invalid args: expire_seconds")
    ticket = "gQ" + secrets.token_urlsafe(24)
    state.qrcodes[ticket] = {"app_id": app_id, "scene": scene, "expires_at": time.time() + expire}
    return _ok(ticket=ticket, expire_seconds=expire, url=URL_PREFIX + ticket)


def _event_xml(openid: str, event: str, key: str, ticket: str) -> str:
    return (
        "<xml><ToUserName><![CDATA[gh_sandbox]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>"
        f"<EventKey><![CDATA[{key}]]></EventKey><Ticket><![CDATA[{ticket}]]></Ticket></xml>"
    )


async def deliver(target: CallbackTarget, xml: str) -> tuple[int, str]:
    """POST an event to the account's server as WeChat does; -> the HTTP status and the body."""
    timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
    signer = WeChatSigner()
    signer.add_data(target.token, timestamp, nonce)
    query = {"signature": signer.signature, "timestamp": timestamp, "nonce": nonce}
    body = xml
    crypto = None
    if target.mode != "plaintext":
        crypto = WeChatCrypto(target.token, target.encoding_aes_key, target.app_id)
        envelope = to_text(crypto.encrypt_message(xml, nonce, timestamp))
        encrypted = envelope.split("<Encrypt><![CDATA[", 1)[1].split("]]>", 1)[0]
        signature = envelope.split("<MsgSignature><![CDATA[", 1)[1].split("]]>", 1)[0]
        body = f"<xml><ToUserName><![CDATA[gh_sandbox]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        query |= {"encrypt_type": "aes", "msg_signature": signature}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        async with session.post(target.url, params=query, data=body.encode()) as response:
            text = await response.text()
            status = response.status
    if crypto is not None and "<Encrypt>" in text:
        # A passive reply is signed with its own time stamp and nonce, inside it.
        reply = xmltodict.parse(text)["xml"]
        text = to_text(crypto.decrypt_message(text, reply["MsgSignature"], reply["TimeStamp"], reply["Nonce"]))
    return status, text


async def simulate_scan(request: web.Request) -> web.Response:
    """A sandbox user scans a parametric QR code with WeChat: {"user": <name>, "url" or "ticket"}.
    Answers what our server replied to the event (`reply`, decrypted)."""
    state = request.app[STATE]
    body = await _json(request) or {}
    ticket = str(body.get("ticket") or str(body.get("url") or "").removeprefix(URL_PREFIX))
    code = state.qrcodes.get(ticket)
    if code is None or code["expires_at"] < time.time():
        return _err(40099, "invalid or expired ticket")
    user = body.get("user")
    if not isinstance(user, str) or not user.isalnum():
        return _err(40003, 'name the test user as {"user": "<name>"}')
    if state.callback is None or state.callback.app_id != code["app_id"]:
        return _err(-1, "no server URL configured for this Official Account")
    openid = state.openid(code["app_id"], user)
    following = (code["app_id"], openid) in state.followers
    state.followers.add((code["app_id"], openid))
    # A new follower's event is `subscribe` with the scene after "qrscene_"; a follower's is SCAN.
    xml = (
        _event_xml(openid, "SCAN", code["scene"], ticket)
        if following
        else _event_xml(openid, "subscribe", "qrscene_" + code["scene"], ticket)
    )
    status, reply = await deliver(state.callback, xml)
    return _ok(openid=openid, delivered=status, reply=reply)
