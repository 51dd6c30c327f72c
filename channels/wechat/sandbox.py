"""WeChat on this machine: an aiohttp app with WeChat's paths, request checks and error codes.

It serves `make run` (mounted under /_sandbox/wechat of the same server) and the tests (its own
test server). Users are made up: a login code `sandbox<user>` or `sandbox<user>.<anything>`
(`<user>` letters and digits) logs `<user>` in, once per code; the openid is per app and the
unionid per user, as on WeChat, so the mini program and the Official Account see the same
unionid. What WeChat's client side would do (the face scan, the consent pop-up, following the
Official Account) is simulated by the `/sandbox/...` routes. Every message sent is kept in
`state.sent`. With a state file (as `make run` has), everything WeChat would remember survives a
restart: users, followers, tokens, verifications, consents, used codes and messages sent.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from typing import Any

from aiohttp import web

from channels import sandbox_identities
from channels.sandbox_file import SandboxFile
from channels.wechat.client import cert_hash
from channels.wechat.sandbox_phone import list_sent, simulate_facial_verify, simulate_follow, simulate_subscribe
from channels.wechat.sandbox_qrcode import create_qrcode, simulate_scan
from channels.wechat.sandbox_state import (
    FAILING_IDENTITY,
    PASSING_IDENTITIES,
    STATE,
    TOKEN_TTL_S,
    VERIFY_TTL_S,
    SandboxState,
)
from channels.wechat.sandbox_state import err as _err
from channels.wechat.sandbox_state import ok as _ok
from channels.wechat.sandbox_state import read_json as _json

__all__ = ["FAILING_IDENTITY", "PASSING_IDENTITIES", "STATE", "SandboxState", "create_sandbox", "sandbox_user"]


@web.middleware
async def _persist(request: web.Request, handler: Any) -> web.StreamResponse:
    """Every call that may have changed the state saves it before its answer goes out."""
    try:
        return await handler(request)
    finally:
        if not request.path.endswith("/sandbox/sent"):  # the login (a GET) uses up its code
            request.app[STATE].save()


def create_sandbox(apps: dict[str, str], state_file: str | None = None) -> web.Application:
    """`apps`: app id -> secret, the mini program's first (the sandbox calls' default app).
    `state_file`: a JSON file that keeps the state across restarts (none: memory only)."""
    app = web.Application(middlewares=[_persist])
    state = SandboxState(apps=dict(apps))
    if state_file:
        state.file = SandboxFile(state_file)
        state.restore(state.file.load())
    app[STATE] = state
    r = app.router
    r.add_get("/sns/jscode2session", jscode2session)
    r.add_post("/cgi-bin/stable_token", stable_token)
    r.add_post("/cityservice/face/identify/getverifyid", getverifyid)
    r.add_post("/cityservice/face/identify/queryverifyinfo", queryverifyinfo)
    r.add_post("/cgi-bin/message/subscribe/send", subscribe_send)
    r.add_post("/cgi-bin/message/template/send", template_send)
    r.add_post("/cgi-bin/message/custom/send", custom_send)
    r.add_get("/cgi-bin/user/info", user_info)
    r.add_post("/sandbox/facial-verify", simulate_facial_verify)
    r.add_post("/sandbox/subscribe", simulate_subscribe)
    r.add_post("/sandbox/follow", simulate_follow)
    r.add_post("/cgi-bin/qrcode/create", qrcode_create)
    r.add_post("/sandbox/scan-qrcode", simulate_scan)
    r.add_get("/sandbox/sent", list_sent)
    return app


def _app_for_token(request: web.Request) -> str | web.Response:
    state = request.app[STATE]
    token = request.query.get("access_token", "")
    if not token:
        return _err(41001, "access_token missing")
    entry = state.tokens.get(token)
    if entry is None:
        return _err(40001, "invalid credential, access_token is invalid or not latest")
    app_id, expires_at = entry
    if expires_at < time.time():
        return _err(42001, "access_token expired")
    return app_id


async def jscode2session(request: web.Request) -> web.Response:
    state = request.app[STATE]
    state.calls.append("jscode2session")
    q = request.query
    if q.get("grant_type") != "authorization_code":
        return _err(40002, "invalid grant_type")
    if state.apps.get(q.get("appid", "")) is None:
        return _err(40013, "invalid appid")
    if state.apps[q["appid"]] != q.get("secret"):
        return _err(40125, "invalid appsecret")
    code = q.get("js_code", "")
    user = sandbox_user(code)
    if user is None:
        return _err(40029, "invalid code")
    if code in state.used_codes:
        return _err(40163, "code been used")
    state.used_codes.add(code)
    if user == "blocked":
        return _err(40226, "high risk user, login blocked")
    return web.json_response(
        {
            "openid": state.openid(q["appid"], user),
            "session_key": secrets.token_urlsafe(16),
            "unionid": state.unionid(user),
        }
    )


def sandbox_user(code: str) -> str | None:
    """The test user a login code `sandbox<user>` or `sandbox<user>.<anything>` names: codes
    are single-use, so `.<anything>` gives as many codes for one user as a test needs."""
    if not code.startswith("sandbox") or len(code) > 64:
        return None
    user, _, rest = code.removeprefix("sandbox").partition(".")
    if not user.isascii() or not user.isalnum() or not all(c.isalnum() or c in "._-" for c in rest):
        return None
    return user


async def stable_token(request: web.Request) -> web.Response:
    state = request.app[STATE]
    state.calls.append("stable_token")
    body = await _json(request)
    if body is None or body.get("grant_type") != "client_credential":
        return _err(40002, "invalid grant_type")
    app_id = body.get("appid", "")
    if app_id not in state.apps:
        return _err(40013, "invalid appid")
    if state.apps[app_id] != body.get("secret"):
        return _err(40125, "invalid appsecret")
    force = body.get("force_refresh") is True
    state.token_fetches.append({"app_id": app_id, "force_refresh": force})
    current = state.current_token.get(app_id)
    now = time.time()
    if current and not force and state.tokens[current][1] > now:
        return web.json_response({"access_token": current, "expires_in": int(state.tokens[current][1] - now)})
    if current:  # a forced refresh (or a new token after expiry) invalidates the old one
        state.tokens.pop(current, None)
    token = secrets.token_urlsafe(32)
    state.tokens[token] = (app_id, now + TOKEN_TTL_S)
    state.current_token[app_id] = token
    return web.json_response({"access_token": token, "expires_in": TOKEN_TTL_S})


async def getverifyid(request: web.Request) -> web.Response:
    state = request.app[STATE]
    state.calls.append("getverifyid")
    app_id = _app_for_token(request)
    if isinstance(app_id, web.Response):
        return app_id
    body = await _json(request)
    cert = (body or {}).get("cert_info")
    if not body or not isinstance(cert, dict) or not body.get("out_seq_no") or not body.get("openid"):
        return _err(47001, "data format error")
    if (app_id, body["openid"]) not in state.users:
        return _err(40003, "invalid openid")
    verify_id = secrets.token_hex(16)
    state.verifications[verify_id] = {
        "app_id": app_id,
        "openid": body["openid"],
        "out_seq_no": body["out_seq_no"],
        "cert_hash": cert_hash(str(cert.get("cert_name", "")), str(cert.get("cert_no", ""))),
        "passes": sandbox_identities.passes(str(cert.get("cert_name")), str(cert.get("cert_no"))),
        "created": time.time(),
        "scanned": False,
    }
    return _ok(verify_id=verify_id, expires_in=VERIFY_TTL_S)


async def queryverifyinfo(request: web.Request) -> web.Response:
    state = request.app[STATE]
    state.calls.append("queryverifyinfo")
    app_id = _app_for_token(request)
    if isinstance(app_id, web.Response):
        return app_id
    body = await _json(request) or {}
    entry = state.verifications.get(str(body.get("verify_id")))
    if entry is None or entry["app_id"] != app_id or time.time() - entry["created"] > VERIFY_TTL_S:
        return _err(40097, "invalid verify_id")
    if body.get("out_seq_no") != entry["out_seq_no"] or body.get("openid") != entry["openid"]:
        return _err(40097, "out_seq_no or openid does not match the verify_id")
    if body.get("cert_hash") != entry["cert_hash"]:
        return _err(40097, "cert_hash mismatch")
    if not entry["scanned"]:
        return _ok(verify_ret=10001)  # not done yet
    return _ok(verify_ret=10000 if entry["passes"] else 10002)


def _check_data(data: Any) -> str | None:
    if not isinstance(data, dict) or not data:
        return "data"
    for name, item in data.items():
        if not isinstance(item, dict) or not isinstance(item.get("value"), str) or not item["value"]:
            return f"data.{name}.value"
        if len(item["value"]) > 20 and name.startswith("thing"):
            return f"data.{name}.value"
    return None


async def subscribe_send(request: web.Request) -> web.Response:
    state = request.app[STATE]
    state.calls.append("subscribe_send")
    if (failure := await _outage(state)) is not None:
        return failure
    app_id = _app_for_token(request)
    if isinstance(app_id, web.Response):
        return app_id
    body = await _json(request) or {}
    touser, template_id = str(body.get("touser")), str(body.get("template_id"))
    if (app_id, touser) not in state.users:
        return _err(40003, "invalid openid")
    bad = _check_data(body.get("data"))
    if bad:
        return _err(47003, f"argument invalid! {bad} is invalid")
    key = (app_id, touser, template_id)
    if key not in state.long_term:
        if state.consents.get(key, 0) <= 0:
            return _err(43101, "user refuse to accept the msg")
        state.consents[key] -= 1
    return _record(state, "subscribe", app_id, body)


async def qrcode_create(request: web.Request) -> web.Response:
    state = request.app[STATE]
    state.calls.append("qrcode_create")
    app_id = _app_for_token(request)
    if isinstance(app_id, web.Response):
        return app_id
    return create_qrcode(state, app_id, await _json(request) or {})


async def template_send(request: web.Request) -> web.Response:
    state = request.app[STATE]
    state.calls.append("template_send")
    if (failure := await _outage(state)) is not None:
        return failure
    app_id = _app_for_token(request)
    if isinstance(app_id, web.Response):
        return app_id
    body = await _json(request) or {}
    if (app_id, str(body.get("touser"))) not in state.users:
        return _err(40003, "invalid openid")
    template = OFFICIAL_TEMPLATES.get(str(body.get("template_id")))
    if template is None:
        return _err(40037, "invalid template_id")
    bad = _check_template_data(template, body.get("data"))
    if bad:
        return _err(47003, f"argument invalid! {bad} is invalid")
    if (refused := _check_links(state, app_id, body)) is not None:
        return refused
    client_msg_id = body.get("client_msg_id")
    if client_msg_id:
        for earlier in state.sent:
            if earlier["app_id"] == app_id and earlier.get("client_msg_id") == client_msg_id:
                return _ok(msgid=earlier["msgid"])  # idempotent repeat: no second message
    return _record(state, "template", app_id, body)


# The Official Account's templates, as chosen from WeChat's category template library: keyword
# -> type. Since May 2023 WeChat shows only these keywords (no first/remark, one line each).
OFFICIAL_TEMPLATES: dict[str, dict[str, str]] = {
    "sandbox-staff-notice": {"thing1": "thing", "thing2": "thing", "time3": "time"},
    "sandbox-trainee-notice": {"thing1": "thing", "phrase2": "phrase", "time3": "time", "thing4": "thing"},
}
_VALUE_RULES = {  # keyword type -> what WeChat accepts
    "thing": re.compile(r".{1,20}"),
    "phrase": re.compile(r"[\u4e00-\u9fff]{1,5}"),
    "character_string": re.compile(r"[\x21-\x7e]{1,32}"),
    "number": re.compile(r"\d{1,32}"),
    "amount": re.compile(r"[¥￥]?\d{1,10}(\.\d{1,2})?元?"),
    "time": re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?|\d{4}年\d{1,2}月\d{1,2}日( \d{2}:\d{2})?"),
}


def _check_template_data(template: dict[str, str], data: Any) -> str | None:
    """The first field WeChat would refuse: one the template does not have, or a value its
    keyword type does not allow (47003 names it)."""
    if not isinstance(data, dict) or not data:
        return "data"
    for name, item in data.items():
        if name not in template:
            return f"data.{name}"
        value = item.get("value") if isinstance(item, dict) else None
        if not isinstance(value, str) or not _VALUE_RULES[template[name]].fullmatch(value):
            return f"data.{name}.value"
    return None


def _check_links(state: SandboxState, app_id: str, body: dict[str, Any]) -> web.Response | None:
    url, mini = body.get("url"), body.get("miniprogram")
    if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
        return _err(47003, "argument invalid! url is invalid")
    if mini is not None:
        if not isinstance(mini, dict) or mini.get("appid") not in state.apps or mini.get("appid") == app_id:
            return _err(40166, "invalid weapp appid")  # not a mini program linked to the account
        if not isinstance(mini.get("pagepath"), str) or not mini["pagepath"]:
            return _err(40165, "invalid weapp pagepath")
    return None


async def custom_send(request: web.Request) -> web.Response:
    state = request.app[STATE]
    state.calls.append("custom_send")
    app_id = _app_for_token(request)
    if isinstance(app_id, web.Response):
        return app_id
    body = await _json(request) or {}
    if (app_id, str(body.get("touser"))) not in state.users:
        return _err(40003, "invalid openid")
    return _record(state, "custom", app_id, body)


async def _outage(state: SandboxState) -> web.Response | None:
    if not state.outage:
        return None
    mode = state.outage.pop(0)
    if mode == "stall":
        await asyncio.sleep(30)
    if mode == "busy":
        return _err(-1, "system error")
    return web.Response(status=500, text="internal error")


def _record(state: SandboxState, kind: str, app_id: str, body: dict[str, Any]) -> web.Response:
    msgid = int(time.time() * 1000) * 1000 + len(state.sent)
    state.sent.append({"kind": kind, "app_id": app_id, "msgid": msgid, **body})
    return _ok(msgid=msgid)


async def user_info(request: web.Request) -> web.Response:
    state = request.app[STATE]
    state.calls.append("user_info")
    await asyncio.sleep(state.delays.get("user_info", 0))
    app_id = _app_for_token(request)
    if isinstance(app_id, web.Response):
        return app_id
    openid = request.query.get("openid", "")
    user = state.users.get((app_id, openid))
    if user is None:
        return _err(40003, "invalid openid")
    return web.json_response({"subscribe": 1, "openid": openid, "unionid": state.unionid(user)})
