"""The async Alipay gateway client.

Requests and responses are alipay-sdk-python's own classes; signing content is the SDK's; the
transport is aiohttp (the SDK's `DefaultAlipayClient` blocks on urllib and mangles gateway URLs
that carry a port). Every answer's signature is checked before anything in it is believed.
Never give the SDK a logger: its client logs the whole request, ID numbers included.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import aiohttp
from alipay.aop.api.constant.ParamConstants import COMMON_PARAM_KEYS
from alipay.aop.api.domain.AlipayOpenAppMiniTemplatemessageSendModel import AlipayOpenAppMiniTemplatemessageSendModel
from alipay.aop.api.domain.AlipayPassInstanceAddModel import AlipayPassInstanceAddModel
from alipay.aop.api.domain.AlipayPassInstanceUpdateModel import AlipayPassInstanceUpdateModel
from alipay.aop.api.domain.AlipayPassTemplateAddModel import AlipayPassTemplateAddModel
from alipay.aop.api.domain.AlipayUserCertifyOpenCertifyModel import AlipayUserCertifyOpenCertifyModel
from alipay.aop.api.domain.AlipayUserCertifyOpenInitializeModel import AlipayUserCertifyOpenInitializeModel
from alipay.aop.api.domain.AlipayUserCertifyOpenQueryModel import AlipayUserCertifyOpenQueryModel
from alipay.aop.api.domain.OpenCertifyIdentityParam import OpenCertifyIdentityParam
from alipay.aop.api.request.AlipayOpenAppMiniTemplatemessageSendRequest import (
    AlipayOpenAppMiniTemplatemessageSendRequest,
)
from alipay.aop.api.request.AlipayPassInstanceAddRequest import AlipayPassInstanceAddRequest
from alipay.aop.api.request.AlipayPassInstanceUpdateRequest import AlipayPassInstanceUpdateRequest
from alipay.aop.api.request.AlipayPassTemplateAddRequest import AlipayPassTemplateAddRequest
from alipay.aop.api.request.AlipaySystemOauthTokenRequest import AlipaySystemOauthTokenRequest
from alipay.aop.api.request.AlipayUserCertifyOpenCertifyRequest import AlipayUserCertifyOpenCertifyRequest
from alipay.aop.api.request.AlipayUserCertifyOpenInitializeRequest import AlipayUserCertifyOpenInitializeRequest
from alipay.aop.api.request.AlipayUserCertifyOpenQueryRequest import AlipayUserCertifyOpenQueryRequest
from alipay.aop.api.response.AlipayOpenAppMiniTemplatemessageSendResponse import (
    AlipayOpenAppMiniTemplatemessageSendResponse,
)
from alipay.aop.api.response.AlipayPassInstanceAddResponse import AlipayPassInstanceAddResponse
from alipay.aop.api.response.AlipayPassInstanceUpdateResponse import AlipayPassInstanceUpdateResponse
from alipay.aop.api.response.AlipayPassTemplateAddResponse import AlipayPassTemplateAddResponse
from alipay.aop.api.response.AlipayResponse import AlipayResponse
from alipay.aop.api.response.AlipaySystemOauthTokenResponse import AlipaySystemOauthTokenResponse
from alipay.aop.api.response.AlipayUserCertifyOpenInitializeResponse import AlipayUserCertifyOpenInitializeResponse
from alipay.aop.api.response.AlipayUserCertifyOpenQueryResponse import AlipayUserCertifyOpenQueryResponse

from channels import errors
from channels.alipay.errors import SUCCESS, error_for
from channels.alipay.signing import SIGN_TYPE, BadResponse, Signer, Verifier, signed_response

# The gateway reads `timestamp` as Beijing time, whatever zone this machine runs in.
GATEWAY_TZ = ZoneInfo("Asia/Shanghai")
CHARSET = "utf-8"


class BadSignature(errors.AuthFailed):
    """The gateway's answer does not verify with the configured Alipay public key."""


@dataclass(frozen=True)
class AlipaySettings:
    app_id: str
    gateway_url: str
    app_private_key: str  # PKCS#1 PEM
    alipay_public_key: str  # SubjectPublicKeyInfo PEM
    timeout_s: float = 10.0


class _Request(Protocol):
    def get_params(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=AlipayResponse)


@dataclass(frozen=True)
class Login:
    subject: str  # open_id when the app has it, else user_id
    user_id: str | None
    open_id: str | None
    union_id: str | None


@dataclass(frozen=True)
class CertifyResult:
    passed: bool
    fail_reason: str | None


class AlipayClient:
    def __init__(self, session: aiohttp.ClientSession, settings: AlipaySettings) -> None:
        self.settings = settings
        self._session = session
        self._signer = Signer(settings.app_private_key)
        self._verifier = Verifier(settings.alipay_public_key)

    # -- the protocol -------------------------------------------------------------------------

    def signed_params(self, request: _Request, now: datetime | None = None) -> tuple[dict[str, str], dict[str, str]]:
        """(common parameters with `sign`, business parameters), as the SDK splits them:
        the first go in the query string, the second in the form body."""
        params = {
            k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for k, v in request.get_params().items()
        }
        common = {
            "app_id": self.settings.app_id,
            "method": params["method"],
            "format": "JSON",
            "charset": CHARSET,
            "sign_type": SIGN_TYPE,
            "timestamp": (now or datetime.now(GATEWAY_TZ)).astimezone(GATEWAY_TZ).strftime("%Y-%m-%d %H:%M:%S"),
            "version": params.get("version", "1.0"),
        }
        for key in ("notify_url", "return_url", "auth_token", "app_auth_token"):
            if params.get(key):
                common[key] = params[key]
        business = {k: v for k, v in params.items() if k not in COMMON_PARAM_KEYS}
        common["sign"] = self._signer.sign_params(common | business, CHARSET)
        return common, business

    async def execute(self, request: _Request, response: R) -> R:
        """Send one request; return the SDK response object, or raise a `channels.errors` error."""
        query, body = self.signed_params(request)
        method = query["method"]
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_s)
        try:
            async with self._session.post(
                self.settings.gateway_url + "?" + urlencode(query),
                data=urlencode(body).encode("ascii"),
                headers={"Content-Type": f"application/x-www-form-urlencoded;charset={CHARSET}"},
                timeout=timeout,
            ) as answer:
                raw = await answer.read()
                status = answer.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise errors.Retryable(f"{method}: {type(exc).__name__}") from None
        if status >= 500 or status == 429:
            raise errors.Retryable(f"{method}: HTTP {status}")
        if status != 200:
            raise errors.Permanent(f"{method}: HTTP {status}")
        try:
            text = raw.decode(CHARSET)
            payload, signed_text, sign = signed_response(text, method)
        except (UnicodeDecodeError, BadResponse) as exc:
            raise errors.Retryable(f"{method}: unreadable answer ({exc})") from None
        code = str(payload.get("code", ""))
        if sign and not self._verifier.verify(signed_text.encode(CHARSET), sign):
            raise BadSignature(f"{method}: answer signature does not verify")
        if code != SUCCESS:
            # Alipay leaves some error answers unsigned; they can only make a call fail.
            raise error_for(code, payload.get("sub_code"), str(payload.get("sub_msg") or payload.get("msg") or ""))
        if not sign:
            raise BadSignature(f"{method}: unsigned answer")
        response.parse_response_content(signed_text)
        return response

    def page_url(self, request: _Request) -> str:
        """A signed GET URL of the gateway that the user's client opens (no call from here)."""
        query, body = self.signed_params(request)
        return self.settings.gateway_url + "?" + urlencode(query | body)

    def verify_notification(self, params: dict[str, str], charset: str) -> bool:
        return self._verifier.verify_params(params, charset, exclude_sign_type=True)

    # -- the methods we use ----------------------------------------------------------------------

    async def login(self, auth_code: str) -> Login:
        request = AlipaySystemOauthTokenRequest()
        request.grant_type = "authorization_code"
        request.code = auth_code
        answer = await self.execute(request, AlipaySystemOauthTokenResponse())
        subject = answer.open_id or answer.user_id
        if not subject:
            raise errors.Permanent("alipay.system.oauth.token: neither open_id nor user_id")
        return Login(subject, answer.user_id, answer.open_id, answer.union_id)

    async def certify_initialize(self, outer_order_no: str, cert_name: str, cert_no: str, return_url: str) -> str:
        identity = OpenCertifyIdentityParam()
        identity.identity_type = "CERT_INFO"
        identity.cert_type = "IDENTITY_CARD"
        identity.cert_name = cert_name
        identity.cert_no = cert_no
        model = AlipayUserCertifyOpenInitializeModel()
        model.outer_order_no = outer_order_no
        model.biz_code = "FACE"
        model.identity_param = identity
        model.merchant_config = {"return_url": return_url}
        answer = await self.execute(
            AlipayUserCertifyOpenInitializeRequest(model), AlipayUserCertifyOpenInitializeResponse()
        )
        if not answer.certify_id:
            raise errors.Permanent("alipay.user.certify.open.initialize: no certify_id")
        return str(answer.certify_id)

    def certify_url(self, certify_id: str) -> str:
        model = AlipayUserCertifyOpenCertifyModel()
        model.certify_id = certify_id
        return self.page_url(AlipayUserCertifyOpenCertifyRequest(model))

    async def certify_query(self, certify_id: str) -> CertifyResult:
        model = AlipayUserCertifyOpenQueryModel()
        model.certify_id = certify_id
        answer = await self.execute(AlipayUserCertifyOpenQueryRequest(model), AlipayUserCertifyOpenQueryResponse())
        return CertifyResult(passed=answer.passed == "T", fail_reason=answer.fail_reason)

    async def pass_template_add(self, unique_id: str, tpl_content: dict[str, Any]) -> str:
        model = AlipayPassTemplateAddModel()
        model.unique_id = unique_id
        model.tpl_content = json.dumps(tpl_content, ensure_ascii=False)
        answer = await self.execute(AlipayPassTemplateAddRequest(model), AlipayPassTemplateAddResponse())
        tpl_id = _result(answer).get("tpl_id")
        if not tpl_id:
            raise errors.Permanent("alipay.pass.template.add: no tpl_id")
        return str(tpl_id)

    async def pass_instance_add(self, tpl_id: str, tpl_params: dict[str, str], subject: str) -> str:
        """Returns the serial number of the new pass instance. `subject` is the account's
        user_id (2088 and 12 digits) or open_id, whichever login gave us."""
        model = AlipayPassInstanceAddModel()
        model.tpl_id = tpl_id
        model.tpl_params = json.dumps(tpl_params, ensure_ascii=False)
        model.recognition_type = "2"  # identify the user by Alipay user id / open id
        key = "user_id" if len(subject) == 16 and subject.startswith("2088") and subject.isdigit() else "open_id"
        model.recognition_info = json.dumps({key: subject}, ensure_ascii=False)
        answer = await self.execute(AlipayPassInstanceAddRequest(model), AlipayPassInstanceAddResponse())
        serial = _result(answer).get("serialNumber")
        if not serial:
            raise errors.Permanent("alipay.pass.instance.add: no serialNumber")
        return str(serial)

    async def pass_instance_update(
        self,
        serial_number: str,
        channel_id: str,
        status: str | None = None,
        *,
        tpl_params: dict[str, str] | None = None,
    ) -> None:
        """Close or use up a pass (`status` USED or CLOSED), and/or show new values of its
        template's `$name$` placeholders (`tpl_params`, as for the add)."""
        if status is None and tpl_params is None:
            raise ValueError("alipay.pass.instance.update needs a status or tpl_params")
        model = AlipayPassInstanceUpdateModel()
        model.serial_number = serial_number
        model.channel_id = channel_id
        if status is not None:
            model.status = status
        if tpl_params is not None:
            model.tpl_params = json.dumps(tpl_params, ensure_ascii=False)
        await self.execute(AlipayPassInstanceUpdateRequest(model), AlipayPassInstanceUpdateResponse())

    async def send_template_message(self, to_user: str, template_id: str, page: str, data: dict[str, Any]) -> None:
        model = AlipayOpenAppMiniTemplatemessageSendModel()
        model.to_open_id = to_user
        model.user_template_id = template_id
        model.page = page
        model.data = json.dumps(data, ensure_ascii=False)
        await self.execute(
            AlipayOpenAppMiniTemplatemessageSendRequest(model), AlipayOpenAppMiniTemplatemessageSendResponse()
        )


def _result(answer: Any) -> dict[str, Any]:
    """`result` of the pass methods is a JSON string inside the JSON answer."""
    raw = getattr(answer, "result", None)
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        value = None
    return value if isinstance(value, dict) else {}
