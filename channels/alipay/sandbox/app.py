"""The sandbox gateway: `gateway.do` for the methods the service uses, with the real protocol
(query-string common parameters, form body, RSA2 both ways, `*_response` + `sign` answers)."""

from __future__ import annotations

import hashlib
import html
import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
from aiohttp import web

from channels import sandbox_identities
from channels.alipay.client import GATEWAY_TZ
from channels.alipay.passes import render
from channels.alipay.sandbox import state
from channels.alipay.sandbox.state import Certification
from channels.alipay.signing import Signer, Verifier, render_response
from channels.sandbox_file import SandboxFile

PREFIX = "/_sandbox/alipay"
SANDBOX = web.AppKey("alipay_sandbox", "SandboxAlipay")
MAX_SKEW = timedelta(minutes=15)
# An auth code "sandbox-<name>" or "sandbox-<name>.<anything>" logs in the test user <name>,
# once: like Alipay's, each code is single-use.
AUTH_CODE_PREFIX = "sandbox-"


# Made-up people whose face "matches", the same as in the WeChat sandbox (channels/sandbox_identities.py).
TEST_IDENTITIES = {(name, number) for number, name in sandbox_identities.PASSING.items()}


class Refusal(Exception):
    def __init__(self, code: str, msg: str, sub_code: str, sub_msg: str) -> None:
        super().__init__(sub_code)
        self.body = {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg}


def _invalid(sub_code: str, sub_msg: str) -> Refusal:
    return Refusal("40002", "Invalid Arguments", sub_code, sub_msg)


def _failed(sub_code: str, sub_msg: str) -> Refusal:
    return Refusal("40004", "Business Failed", sub_code, sub_msg)


@dataclass
class SandboxAlipay:
    app_id: str
    app_public_key: str  # ours: verifies our requests
    private_key: str  # the sandbox's: signs answers and notifications
    notify_url: str
    # (name, ID number) of people whose face "matches": anyone else fails verification.
    identities: set[tuple[str, str]] = field(default_factory=lambda: set(TEST_IDENTITIES))
    certifications: dict[str, Certification] = field(default_factory=dict)
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    passes: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    calls: list[dict[str, str]] = field(default_factory=list)  # method and timestamp of each call
    used_codes: set[str] = field(default_factory=set)
    # method -> refusal to answer with next (tests make the gateway fail on purpose)
    fail_next: dict[str, Refusal] = field(default_factory=dict)
    # user ids of users who have not subscribed to a template message
    unsubscribed: set[str] = field(default_factory=set)
    # Apps created before Alipay's open_id get only user_id from oauth.token.
    gives_open_id: bool = True
    # A JSON file that keeps what Alipay would remember across restarts ("": memory only).
    state_file: str = ""

    def __post_init__(self) -> None:
        self.signer = Signer(self.private_key)
        self.verifier = Verifier(self.app_public_key)
        self.file = SandboxFile(self.state_file) if self.state_file else None
        if self.file is not None:
            state.restore(self, self.file.load())

    def save(self) -> None:
        if self.file is not None:
            self.file.save(state.snapshot(self))

    # -- test users ------------------------------------------------------------------------------

    @staticmethod
    def user_id(name: str) -> str:
        return "2088" + str(int(hashlib.sha256(name.encode()).hexdigest(), 16))[:12]

    def open_id(self, name: str) -> str:
        return "0" + hashlib.sha256(f"{self.app_id}:{name}".encode()).hexdigest()[:31]

    def fail(self, method: str, sub_code: str, sub_msg: str = "sandbox failure", code: str = "40004") -> None:
        self.fail_next[method] = Refusal(code, "Business Failed", sub_code, sub_msg)

    # -- notifications ---------------------------------------------------------------------------

    def notification(self, fields: dict[str, str], charset: str = "utf-8") -> bytes:
        """A signed notification body as Alipay posts it (sign over all but sign, sign_type)."""
        params = {
            "notify_id": uuid.uuid4().hex,
            "notify_time": datetime.now(GATEWAY_TZ).strftime("%Y-%m-%d %H:%M:%S"),
            "app_id": self.app_id,
            "charset": charset,
            "version": "1.1",
        } | fields
        params["sign"] = self.signer.sign_params(params, charset)
        params["sign_type"] = "RSA2"
        return urlencode(params, encoding=charset).encode("ascii")

    def auth_cancelled(self, name: str) -> dict[str, str]:
        content = {
            "user_id": self.user_id(name),
            "open_id": self.open_id(name),
            "cancel_time": datetime.now(GATEWAY_TZ).strftime("%Y-%m-%d %H:%M:%S"),
        }
        return {
            "msg_method": "alipay.open.auth.userauth.cancelled",
            "utc_timestamp": str(int(datetime.now(GATEWAY_TZ).timestamp() * 1000)),
            "biz_content": json.dumps(content, ensure_ascii=False),
        }

    async def post_notification(
        self, session: aiohttp.ClientSession, fields: dict[str, str], charset: str = "utf-8"
    ) -> tuple[int, str]:
        async with session.post(
            self.notify_url,
            data=self.notification(fields, charset),
            headers={"Content-Type": f"application/x-www-form-urlencoded; charset={charset}"},
            timeout=aiohttp.ClientTimeout(total=10),
        ) as answer:
            return answer.status, await answer.text()

    # -- the gateway -----------------------------------------------------------------------------

    async def gateway(self, request: web.Request) -> web.StreamResponse:
        query = dict(parse_qsl(request.query_string, keep_blank_values=True))
        charset = query.get("charset", "utf-8")
        body = await request.read()
        try:
            form = dict(parse_qsl(body.decode("ascii"), keep_blank_values=True, encoding=charset, errors="strict"))
            query = dict(parse_qsl(request.query_string, keep_blank_values=True, encoding=charset, errors="strict"))
        except (UnicodeDecodeError, LookupError):
            return web.Response(status=400, text="bad encoding")
        params = form | query
        method = params.get("method", "")
        try:
            self._check(params, charset)
            biz = json.loads(params.get("biz_content") or "{}")
            if not isinstance(biz, dict):
                raise _invalid("isv.invalid-biz-content", "biz_content 不是 JSON 对象")
            if method == "alipay.user.certify.open.certify" and request.method == "GET":
                return self._certify_page(biz)
            handler = self._methods().get(method)
            if handler is None:
                raise _invalid("isv.invalid-method", "不存在的方法名")
            if method in self.fail_next:
                raise self.fail_next.pop(method)
            answer = {"code": "10000", "msg": "Success"} | handler(biz, params)
            text = render_response(method, answer, self.signer)
        except ValueError:
            text = render_response(
                method, _invalid("isv.invalid-biz-content", "biz_content 格式错误").body, self.signer
            )
        except Refusal as refusal:
            text = render_response(method, refusal.body, self.signer, error=method == "alipay.system.oauth.token")
        return web.Response(text=text, content_type="application/json", charset="utf-8")

    def _check(self, params: dict[str, str], charset: str) -> None:
        if params.get("app_id") != self.app_id:
            raise _invalid("isv.invalid-app-id", "无效的AppID参数")
        if params.get("sign_type") != "RSA2":
            raise _invalid("isv.invalid-signature-type", "无效的签名类型")
        if not self.verifier.verify_params(params, charset, exclude_sign_type=False):
            raise _invalid("isv.invalid-signature", "验签出错")
        try:
            sent = datetime.strptime(params.get("timestamp", ""), "%Y-%m-%d %H:%M:%S").replace(tzinfo=GATEWAY_TZ)
        except ValueError:
            raise _invalid("isv.invalid-timestamp", "非法的时间戳参数") from None
        if abs(datetime.now(GATEWAY_TZ) - sent) > MAX_SKEW:
            raise _invalid("isv.invalid-timestamp", "非法的时间戳参数")
        self.calls.append({"method": params.get("method", ""), "timestamp": params["timestamp"]})

    def _methods(self) -> dict[str, Callable[[dict[str, Any], dict[str, str]], dict[str, Any]]]:
        return {
            "alipay.system.oauth.token": self._oauth_token,
            "alipay.user.certify.open.initialize": self._certify_initialize,
            "alipay.user.certify.open.query": self._certify_query,
            "alipay.pass.template.add": self._template_add,
            "alipay.pass.instance.add": self._instance_add,
            "alipay.pass.instance.update": self._instance_update,
            "alipay.open.app.mini.templatemessage.send": self._message_send,
        }

    def _oauth_token(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        code = params.get("code", "")
        if params.get("grant_type") != "authorization_code":
            raise _invalid("isv.grant-type-invalid", "grant_type 无效")
        if not code.startswith(AUTH_CODE_PREFIX) or len(code) <= len(AUTH_CODE_PREFIX) or code in self.used_codes:
            raise _invalid("isv.code-invalid", "授权码code无效")
        self.used_codes.add(code)
        name = code[len(AUTH_CODE_PREFIX) :].split(".")[0]
        return {
            "user_id": self.user_id(name),
            **({"open_id": self.open_id(name)} if self.gives_open_id else {}),
            "access_token": "sandbox" + secrets.token_hex(12),
            "expires_in": 1296000,
            "refresh_token": "sandbox" + secrets.token_hex(12),
            "re_expires_in": 2592000,
        }

    def _certify_initialize(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        identity = biz.get("identity_param") or {}
        if biz.get("biz_code") != "FACE" or not biz.get("outer_order_no"):
            raise _invalid("isv.missing-parameter", "缺少 biz_code 或 outer_order_no")
        if identity.get("identity_type") != "CERT_INFO" or identity.get("cert_type") != "IDENTITY_CARD":
            raise _invalid("isv.invalid-identity-param", "身份信息参数错误")
        certify_id = secrets.token_hex(16)
        self.certifications[certify_id] = Certification(
            biz["outer_order_no"], str(identity.get("cert_name", "")), str(identity.get("cert_no", ""))
        )
        return {"certify_id": certify_id}

    def _certify_page(self, biz: dict[str, Any]) -> web.Response:
        """What the user sees on opening the certify URL: the sandbox "scans the face"."""
        certification = self.certifications.get(str(biz.get("certify_id", "")))
        if certification is None:
            return web.Response(status=404, text="certify_id 不存在")
        certification.scanned = True
        matched = (certification.cert_name, certification.cert_no) in self.identities
        verdict = "人脸比对通过" if matched else "人脸比对未通过"
        title = "<title>支付宝身份验证（沙箱）</title>"
        page = f"<!doctype html><meta charset=utf-8>{title}<p>{html.escape(verdict)}，请返回小程序。"
        return web.Response(text=page, content_type="text/html", charset="utf-8")

    def _certify_query(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        certification = self.certifications.get(str(biz.get("certify_id", "")))
        if certification is None:
            raise _failed("CERTIFY_ID_NOT_EXIST", "认证ID不存在")
        passed = certification.scanned and (certification.cert_name, certification.cert_no) in self.identities
        answer: dict[str, Any] = {"passed": "T" if passed else "F"}
        if certification.scanned and not passed:  # not scanned yet: "F" without a reason
            answer["fail_reason"] = "人脸比对不通过"
        return answer

    def _template_add(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        try:
            content = json.loads(biz.get("tpl_content") or "")
        except ValueError:
            raise _invalid("isv.invalid-tpl-content", "模板内容不是 JSON") from None
        if not isinstance(content, dict) or "evoucherInfo" not in (content.get("content") or {}):
            raise _invalid("isv.invalid-tpl-content", "模板缺少 evoucherInfo")
        for existing_id, template in self.templates.items():  # unique_id makes the call idempotent
            if template["unique_id"] == biz.get("unique_id"):
                return {"success": True, "result": json.dumps({"tpl_id": existing_id})}
        tpl_id = str(20260000000000 + len(self.templates) + 1)
        self.templates[tpl_id] = {"unique_id": biz.get("unique_id"), "tpl_content": content}
        return {"success": True, "result": json.dumps({"tpl_id": tpl_id, "tpl_params": []})}

    def _instance_add(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        tpl_id = str(biz.get("tpl_id", ""))
        if tpl_id not in self.templates:
            raise _failed("TEMPLATE_NOT_EXIST", "模板不存在")
        if biz.get("recognition_type") != "2":
            raise _invalid("isv.invalid-recognition-type", "recognition_type 应为 2")
        try:
            user = json.loads(biz.get("recognition_info") or "")
            tpl_params = json.loads(biz.get("tpl_params") or "")
        except ValueError:
            raise _invalid("isv.invalid-parameter", "参数不是 JSON") from None
        serial = str(tpl_params.get("serialNumber", ""))
        if not serial:
            raise _invalid("isv.missing-parameter", "缺少 serialNumber")
        user_id = user.get("user_id") or user.get("open_id")
        if not user_id:
            raise _invalid("isv.missing-parameter", "recognition_info 缺少 user_id 或 open_id")
        shown = render(self.templates[tpl_id]["tpl_content"]["content"]["evoucherInfo"], tpl_params)
        self.passes.setdefault(
            serial,
            {
                "tpl_id": tpl_id,
                "params": tpl_params,
                "recognition_info": user,
                "user_id": user_id,
                "status": "ACTIVE",
                "shown": shown,
            },
        )
        return {"success": True, "result": json.dumps({"serialNumber": serial, "passId": "p" + serial})}

    def _instance_update(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        instance = self.passes.get(str(biz.get("serial_number", "")))
        if instance is None:
            raise _failed("PASS_NOT_EXIST", "卡券不存在")
        status, raw_params = biz.get("status"), biz.get("tpl_params")
        if status is None and raw_params is None:
            raise _invalid("isv.missing-parameter", "缺少 status 或 tpl_params")
        if status is not None and status not in ("USED", "CLOSED"):
            raise _invalid("isv.invalid-parameter", "status 应为 USED 或 CLOSED")
        if raw_params is not None:
            try:
                tpl_params = json.loads(raw_params)
            except (TypeError, ValueError):
                raise _invalid("isv.invalid-parameter", "tpl_params 不是 JSON") from None
            if not isinstance(tpl_params, dict):
                raise _invalid("isv.invalid-parameter", "tpl_params 不是 JSON 对象")
            # The placeholders sent take their new values; the pass shows them at once.
            instance["params"] = instance["params"] | tpl_params
            template = self.templates[instance["tpl_id"]]["tpl_content"]["content"]["evoucherInfo"]
            instance["shown"] = render(template, instance["params"])
        if status is not None:
            instance["status"] = status
        return {"success": True, "result": json.dumps({"serialNumber": biz["serial_number"]})}

    def _message_send(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        to = str(biz.get("to_open_id") or biz.get("to_user_id") or "")
        if not to or not biz.get("user_template_id"):
            raise _invalid("isv.missing-parameter", "缺少接收者或模板")
        if to in self.unsubscribed:
            raise _failed("NO_SUBSCRIBE_RELATION", "用户未订阅该消息")
        try:
            data = json.loads(biz.get("data") or "{}")
        except ValueError:
            raise _invalid("INVALID_PARAMETER", "data 不是 JSON") from None
        self.messages.append({"to": to, "template_id": biz["user_template_id"], "page": biz.get("page"), "data": data})
        return {}


async def _record(request: web.Request) -> web.Response:
    """What the sandbox holds for the demo: passes in card packs and messages sent."""
    sandbox = request.app[SANDBOX]
    return web.json_response(
        {"passes": sandbox.passes, "messages": sandbox.messages},
        dumps=lambda value: json.dumps(value, ensure_ascii=False),
    )


async def _cancel_authorisation(request: web.Request) -> web.Response:
    """Demo: the test user <name> withdraws authorisation; Alipay notifies our endpoint."""
    sandbox = request.app[SANDBOX]
    name = request.query.get("user", "")
    if not name:
        return web.Response(status=400, text="?user=<name> is required")
    async with aiohttp.ClientSession() as session:
        status, text = await sandbox.post_notification(session, sandbox.auth_cancelled(name))
    return web.json_response({"notify_status": status, "notify_answer": text})


@web.middleware
async def _persist(request: web.Request, handler: Any) -> web.StreamResponse:
    """Every gateway call (the certify page too) saves the state before its answer goes out."""
    try:
        return await handler(request)
    finally:
        if request.path.endswith("/gateway.do"):
            request.app[SANDBOX].save()


def sandbox_app(sandbox: SandboxAlipay) -> web.Application:
    app = web.Application(middlewares=[_persist])
    app[SANDBOX] = sandbox
    app.router.add_route("*", "/gateway.do", sandbox.gateway)
    app.router.add_get("/record", _record)
    app.router.add_post("/cancel-authorisation", _cancel_authorisation)
    return app
