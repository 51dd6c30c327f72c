"""RSA2 (SHA256withRSA, PKCS#1 v1.5) as the Alipay gateway uses it, on alipay-sdk-python's
`SignatureUtils`: sign content is `k=v` pairs sorted by key and joined by `&`.

Three shapes are signed: our gateway requests (every parameter but `sign`), the gateway's
answers (the raw `*_response` JSON object, byte for byte), and notifications posted to us
(every parameter but `sign` and `sign_type`, empty values included).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping

import rsa
from alipay.aop.api.util.SignatureUtils import get_sign_content
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

SIGN_TYPE = "RSA2"


class Signer:
    """RSA2 signatures with one private key (parsed once).

    The SDK's `sign_with_rsa2` runs python-rsa's pure-Python private-key operation: about 24 ms
    of CPU per call, all of it on the event loop. PKCS#1 v1.5 is deterministic, so OpenSSL (via
    cryptography, ~1 ms) produces the very same bytes; tests/test_alipay_signing.py checks that
    against `SignatureUtils.sign_with_rsa2`. The sign content still comes from the SDK.
    """

    def __init__(self, private_key_pem: str) -> None:
        key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
        assert isinstance(key, RSAPrivateKey)
        self._key = key

    def sign(self, content: str, charset: str = "utf-8") -> str:
        signature = self._key.sign(content.encode(charset), padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode("ascii")

    def sign_params(self, params: Mapping[str, str], charset: str = "utf-8") -> str:
        """The `sign` of a gateway request (or of a notification, when `params` lack sign_type)."""
        return self.sign(get_sign_content(dict(params)), charset)


class Verifier:
    """Checks RSA2 signatures made with one public key (parsed once)."""

    def __init__(self, public_key_pem: str) -> None:
        self._key = rsa.PublicKey.load_pkcs1_openssl_pem(public_key_pem.encode())

    def verify(self, message: bytes, signature: str) -> bool:
        # SignatureUtils.verify_with_rsa accepts whatever hash the signature names, SHA-1 included;
        # RSA2 means SHA-256, so the check calls rsa.verify (the SDK's own primitive) and insists.
        try:
            raw = base64.b64decode(signature, validate=True)
            return rsa.verify(message, raw, self._key) == "SHA-256"
        except (binascii.Error, ValueError, rsa.VerificationError):
            return False

    def verify_params(self, params: Mapping[str, str], charset: str = "utf-8", *, exclude_sign_type: bool) -> bool:
        """A request (sign_type is signed) or a notification (sign_type is not)."""
        signature = params.get("sign", "")
        dropped = {"sign", "sign_type"} if exclude_sign_type else {"sign"}
        content = get_sign_content({k: v for k, v in params.items() if k not in dropped})
        try:
            message = content.encode(charset)
        except UnicodeEncodeError:
            return False
        return bool(signature) and self.verify(message, signature)


class BadResponse(ValueError):
    """A gateway answer that is not the signed JSON the protocol promises."""


def response_key(method: str) -> str:
    return method.replace(".", "_") + "_response"


def signed_response(raw: str, method: str) -> tuple[dict, str, str]:
    """(response object, its exact text, sign) of a gateway answer. The text is cut out of the
    raw answer, not re-serialised: the signature covers the bytes Alipay sent."""
    try:
        document = json.loads(raw)
    except ValueError:
        raise BadResponse("not JSON") from None
    if not isinstance(document, dict):
        raise BadResponse("not a JSON object")
    key = response_key(method) if response_key(method) in document else "error_response"
    body = document.get(key)
    if not isinstance(body, dict):
        raise BadResponse(f"no {response_key(method)}")
    match = re.search(r'"' + re.escape(key) + r'"\s*:\s*', raw)
    if match is None:  # pragma: no cover - json.loads found the key, so the text has it
        raise BadResponse("key not found")
    _, end = json.JSONDecoder().raw_decode(raw, match.end())
    sign = document.get("sign")
    return body, raw[match.end() : end], sign if isinstance(sign, str) else ""


def render_response(method: str, body: dict, signer: Signer, *, error: bool = False) -> str:
    """What the gateway (our sandbox) answers: the response object and its signature."""
    key = "error_response" if error else response_key(method)
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    sign = signer.sign(text)
    return "{" + json.dumps(key) + ":" + text + ',"sign":' + json.dumps(sign) + "}"
