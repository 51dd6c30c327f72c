"""The WeChat sandbox's state: what WeChat knows about apps, users and messages, kept in a file
(`SandboxFile`) when one is configured so a restart forgets nothing WeChat would remember."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from channels import sandbox_identities
from channels.sandbox_file import SandboxFile

PASSING_IDENTITIES = sandbox_identities.PASSING
FAILING_IDENTITY = sandbox_identities.FAILING

TOKEN_TTL_S = 7200
VERIFY_TTL_S = 3600


@dataclass(frozen=True)
class CallbackTarget:
    """The server URL configured for an Official Account (开发 - 基本配置): where WeChat posts
    events, with the token and EncodingAESKey, in plaintext, compatible or safe mode."""

    app_id: str
    url: str
    token: str
    encoding_aes_key: str
    mode: str  # plaintext, compatible, safe


@dataclass
class SandboxState:
    apps: dict[str, str]  # app id -> secret
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # token -> (app id, expires at)
    current_token: dict[str, str] = field(default_factory=dict)  # app id -> token
    token_fetches: list[dict[str, Any]] = field(default_factory=list)
    used_codes: set[str] = field(default_factory=set)
    users: dict[tuple[str, str], str] = field(default_factory=dict)  # (app id, openid) -> user
    verifications: dict[str, dict[str, Any]] = field(default_factory=dict)  # verify_id -> what was asked
    consents: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (app, openid, template) -> left
    long_term: set[tuple[str, str, str]] = field(default_factory=set)
    sent: list[dict[str, Any]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)  # paths, in order
    delays: dict[str, float] = field(default_factory=dict)  # route name -> seconds to stall (tests)
    # An outage, for failure tests: each message send takes the next mode, before anything is
    # sent: "500" (HTTP 500), "busy" (errcode -1) or "stall" (no answer for 30 s: a timeout).
    outage: list[str] = field(default_factory=list)
    followers: set[tuple[str, str]] = field(default_factory=set)  # (Official Account app id, openid)
    qrcodes: dict[str, dict[str, Any]] = field(default_factory=dict)  # ticket -> app id, scene, expires at
    # Where WeChat pushes the Official Account's events (set by whoever runs our server).
    callback: CallbackTarget | None = None
    file: SandboxFile | None = None  # where the state survives a restart (None: memory only)

    def openid(self, app_id: str, user: str) -> str:
        digest = hashlib.sha256(f"{app_id}/{user}".encode()).hexdigest()[:27]
        openid = f"o{digest}"
        self.users[(app_id, openid)] = user
        return openid

    @staticmethod
    def unionid(user: str) -> str:
        return "u" + hashlib.sha256(f"union/{user}".encode()).hexdigest()[:27]

    def expire_tokens(self) -> None:
        """Make every issued token invalid now (tests of the 42001 path)."""
        self.tokens = {t: (app, 0.0) for t, (app, _) in self.tokens.items()}

    def sent_to(self, openid: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["touser"] == openid]

    # -- persistence: what WeChat remembers across our restarts --------------------------------

    def snapshot(self) -> dict[str, Any]:
        return {
            "tokens": {t: list(entry) for t, entry in self.tokens.items()},
            "current_token": self.current_token,
            "used_codes": sorted(self.used_codes),
            "users": [[app, openid, user] for (app, openid), user in self.users.items()],
            "verifications": self.verifications,
            "consents": [[*key, left] for key, left in self.consents.items()],
            "long_term": sorted(list(key) for key in self.long_term),
            "followers": sorted(list(key) for key in self.followers),
            "sent": self.sent,
            "qrcodes": self.qrcodes,
        }

    def restore(self, data: dict[str, Any]) -> None:
        self.tokens = {t: (str(app), float(exp)) for t, (app, exp) in data.get("tokens", {}).items()}
        self.current_token = dict(data.get("current_token", {}))
        self.used_codes = set(data.get("used_codes", []))
        self.users = {(app, openid): user for app, openid, user in data.get("users", [])}
        self.verifications = dict(data.get("verifications", {}))
        self.consents = {(app, openid, tpl): int(left) for app, openid, tpl, left in data.get("consents", [])}
        self.long_term = {tuple(key) for key in data.get("long_term", [])}  # type: ignore[misc]
        self.followers = {tuple(key) for key in data.get("followers", [])}  # type: ignore[misc]
        self.sent = list(data.get("sent", []))
        self.qrcodes = dict(data.get("qrcodes", {}))

    def save(self) -> None:
        if self.file is not None:
            self.file.save(self.snapshot())


STATE = web.AppKey("wechat_sandbox_state", SandboxState)


def err(code: int, msg: str) -> web.Response:
    return web.json_response({"errcode": code, "errmsg": msg})


def ok(**data: Any) -> web.Response:
    return web.json_response({"errcode": 0, "errmsg": "ok", **data})


async def read_json(request: web.Request) -> dict[str, Any] | None:
    try:
        body = json.loads(await request.read())
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
