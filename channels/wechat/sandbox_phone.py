"""What WeChat's client side does in the sandbox, as HTTP calls a developer or a test makes: the
face scan, tapping 允许 in the consent pop-up, following the Official Account; and the record
of messages sent. The person is named by the test user's name, as nobody outside WeChat and our
server ever sees an openid."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from channels.wechat.sandbox_state import STATE, SandboxState
from channels.wechat.sandbox_state import err as _err
from channels.wechat.sandbox_state import ok as _ok
from channels.wechat.sandbox_state import read_json as _json


async def simulate_facial_verify(request: web.Request) -> web.Response:
    """What wx.requestFacialVerify does on the phone: the person shows their face."""
    body = await _json(request) or {}
    entry = request.app[STATE].verifications.get(str(body.get("verify_id")))
    if entry is None:
        return _err(40097, "invalid verify_id")
    entry["scanned"] = True
    return _ok()


def _app_and_openid(state: SandboxState, body: dict[str, Any]) -> tuple[str, str] | web.Response:
    """The sandbox calls name the person as a phone knows them: the test user's name (`user`),
    in `app_id` (default: the mini program); an `openid` is still accepted."""
    app_id = str(body.get("app_id") or next(iter(state.apps)))
    if app_id not in state.apps:
        return _err(40013, "invalid appid")
    user = body.get("user")
    if isinstance(user, str) and user.isalnum():
        return app_id, state.openid(app_id, user)
    openid = str(body.get("openid") or "")
    if (app_id, openid) not in state.users:
        return _err(40003, 'invalid openid: name the test user as {"user": "<name>"}')
    return app_id, openid


async def simulate_subscribe(request: web.Request) -> web.Response:
    """What wx.requestSubscribeMessage does when the user taps 允许 (accept) for a template:
    {"user": <name>, "template_id", "count"?, "long_term"?, "app_id"?}."""
    body = await _json(request) or {}
    who = _app_and_openid(request.app[STATE], body)
    if isinstance(who, web.Response):
        return who
    key = (*who, str(body.get("template_id")))
    if body.get("long_term"):
        request.app[STATE].long_term.add(key)
    else:
        request.app[STATE].consents[key] = request.app[STATE].consents.get(key, 0) + int(body.get("count", 1))
    return _ok()


async def simulate_follow(request: web.Request) -> web.Response:
    """The test user follows the Official Account: {"user": <name>, "app_id"?: the Official
    Account's (default: the last app configured)}. Answers the follower's openid and unionid."""
    state = request.app[STATE]
    body = await _json(request) or {}
    body.setdefault("app_id", list(state.apps)[-1])
    who = _app_and_openid(state, body)
    if isinstance(who, web.Response):
        return who
    state.followers.add(who)
    return _ok(openid=who[1], unionid=state.unionid(state.users[who]))


async def list_sent(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].sent)
