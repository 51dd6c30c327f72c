"""Our async WeChat server-API client. One instance per app id (mini program, Official
Account), sharing the app's aiohttp session. The base URL comes from config, so the same code
talks to WeChat or to the sandbox.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import aiohttp

from channels import errors
from channels.wechat.access_token import AccessTokens
from channels.wechat.errors import TOKEN_REJECTED, error_for
from infra.redis_errors import REDIS_FAILURES


@dataclass(frozen=True)
class Login:
    openid: str
    union_id: str | None


@dataclass(frozen=True)
class FaceResult:
    verify_ret: int
    passed: bool


def cert_hash(name: str, id_number: str, cert_type: str = "IDENTITY_CARD") -> str:
    """sha256 over the base64 of each cert field, as face verification 2.0 defines it."""

    def b64(value: str) -> str:
        return base64.b64encode(value.encode()).decode()

    text = f"cert_type={b64(cert_type)}&cert_name={b64(name)}&cert_no={b64(id_number)}"
    return hashlib.sha256(text.encode()).hexdigest()


class WechatClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        redis: Any,
        *,
        app_id: str,
        secret: str,
        api_base: str,
        timeout_s: float = 5.0,
    ) -> None:
        self.app_id = app_id
        self._secret = secret
        self._session = session
        self._base = api_base.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.tokens = AccessTokens(redis, app_id, self._fetch_token, wait_s=timeout_s * 3)

    # --- mini program -----------------------------------------------------------------------

    async def jscode2session(self, code: str) -> Login:
        data = await self._call(
            "GET",
            "/sns/jscode2session",
            params={"appid": self.app_id, "secret": self._secret, "js_code": code, "grant_type": "authorization_code"},
        )
        return Login(openid=data["openid"], union_id=data.get("unionid") or None)

    async def get_verify_id(self, out_seq_no: str, name: str, id_number: str, openid: str) -> str:
        body = {
            "out_seq_no": out_seq_no,
            "cert_info": {"cert_type": "IDENTITY_CARD", "cert_name": name, "cert_no": id_number},
            "openid": openid,
        }
        data = await self._with_token("/cityservice/face/identify/getverifyid", body)
        return str(data["verify_id"])

    async def query_verify_info(self, verify_id: str, out_seq_no: str, cert_hash: str, openid: str) -> FaceResult:
        body = {"verify_id": verify_id, "out_seq_no": out_seq_no, "cert_hash": cert_hash, "openid": openid}
        data = await self._with_token("/cityservice/face/identify/queryverifyinfo", body)
        ret = int(data.get("verify_ret", 0))
        return FaceResult(verify_ret=ret, passed=ret == 10000)

    async def send_subscribe(
        self, openid: str, template_id: str, data: dict[str, str], page: str | None = None, state: str = "formal"
    ) -> str:
        body: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {k: {"value": v} for k, v in data.items()},
            "miniprogram_state": state,
            "lang": "zh_CN",
        }
        if page:
            body["page"] = page
        result = await self._with_token("/cgi-bin/message/subscribe/send", body)
        return str(result.get("msgid", ""))

    # --- Official Account -------------------------------------------------------------------

    async def send_template(
        self,
        openid: str,
        template_id: str,
        data: dict[str, str],
        client_msg_id: str,
        url: str | None = None,
        miniprogram: dict[str, str] | None = None,
    ) -> str:
        """A template message; a tap opens `miniprogram` ({appid, pagepath}), else `url`."""
        body: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {k: {"value": v} for k, v in data.items()},
            # WeChat drops a repeat with the same client_msg_id for 10 minutes: a retried send
            # after a lost answer does not notify twice.
            "client_msg_id": client_msg_id,
        }
        if url:
            body["url"] = url
        if miniprogram:
            body["miniprogram"] = miniprogram
        result = await self._with_token("/cgi-bin/message/template/send", body)
        return str(result.get("msgid", ""))

    async def create_qrcode(self, scene: str, expire_seconds: int) -> ParametricQr:
        """A temporary parametric QR code (cgi-bin/qrcode/create, QR_STR_SCENE): scanning it
        follows the Official Account, and WeChat sends us the scan event with `scene` as its
        EventKey (`qrscene_<scene>` for a new follower). At most 30 days, scene at most 64."""
        body = {
            "expire_seconds": expire_seconds,
            "action_name": "QR_STR_SCENE",
            "action_info": {"scene": {"scene_str": scene}},
        }
        result = await self._with_token("/cgi-bin/qrcode/create", body)
        return ParametricQr(
            ticket=str(result["ticket"]), url=str(result["url"]), expire_seconds=int(result["expire_seconds"])
        )

    async def union_id(self, openid: str) -> str | None:
        """A follower's UnionID (cgi-bin/user/info); None when WeChat has none for him."""
        data = await self._with_token("/cgi-bin/user/info", None, params={"openid": openid, "lang": "zh_CN"})
        return data.get("unionid") or None

    async def send_custom_text(self, openid: str, text: str) -> None:
        body = {"touser": openid, "msgtype": "text", "text": {"content": text}}
        await self._with_token("/cgi-bin/message/custom/send", body)

    # --- plumbing ---------------------------------------------------------------------------

    async def _fetch_token(self, force_refresh: bool) -> tuple[str, int]:
        body = {
            "grant_type": "client_credential",
            "appid": self.app_id,
            "secret": self._secret,
            "force_refresh": force_refresh,
        }
        data = await self._call("POST", "/cgi-bin/stable_token", json_body=body)
        return data["access_token"], int(data.get("expires_in", 7200))

    async def _access_token(self, rejected: str | None = None) -> str:
        try:
            return await (self.tokens.replace(rejected) if rejected else self.tokens.get())
        except TimeoutError:
            raise errors.Retryable("access token refresh timed out") from None
        except REDIS_FAILURES as exc:  # the shared token cache is down: try again later
            raise errors.Retryable(f"access token cache: {type(exc).__name__}") from None

    async def _with_token(
        self, path: str, body: dict[str, Any] | None, params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """POST `body` (GET when None). One refresh and one retry when the token is refused,
        never a loop."""
        method = "GET" if body is None else "POST"
        token = await self._access_token()
        try:
            return await self._call(method, path, params={**(params or {}), "access_token": token}, json_body=body)
        except errors.ChannelError as exc:
            if exc.code not in TOKEN_REJECTED:
                raise
        token = await self._access_token(rejected=token)
        return await self._call(method, path, params={**(params or {}), "access_token": token}, json_body=body)

    async def _call(
        self, method: str, path: str, *, params: dict[str, str] | None = None, json_body: Any = None
    ) -> dict[str, Any]:
        data = None if json_body is None else json.dumps(json_body, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"} if data is not None else None
        try:
            async with self._session.request(
                method, self._base + path, params=params, data=data, headers=headers, timeout=self._timeout
            ) as response:
                if response.status >= 500:
                    raise errors.Retryable(f"HTTP {response.status} from {path}", code=response.status)
                raw = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise errors.Retryable(f"{path}: {type(exc).__name__}") from None
        try:
            result = json.loads(raw)
        except ValueError:
            raise errors.Retryable(f"{path}: answer is not JSON") from None
        if not isinstance(result, dict):
            raise errors.Retryable(f"{path}: answer is not an object")
        errcode = int(result.get("errcode") or 0)
        if errcode:
            raise error_for(errcode, str(result.get("errmsg", "")))
        return result


@dataclass(frozen=True)
class ParametricQr:
    ticket: str
    url: str  # what the QR code encodes (show it as a QR image)
    expire_seconds: int


@dataclass
class WechatClients:
    """The two WeChat apps we call, sharing one HTTP session: the mini program and the Official
    Account."""

    session: aiohttp.ClientSession
    miniapp: WechatClient
    official: WechatClient
