"""The signature of a platform's request. docs/online-platforms.md states the same rules for the
platforms that implement them: change one, change the other.

The canonical string is nine lines joined by "\\n" (no trailing newline):

    PXQ-HMAC-SHA256
    <method, upper case>
    <path, percent-decoded, without the query>
    <canonical query: pairs RFC 3986 encoded, sorted by name then value, name=value joined by &>
    <platform code>
    <key id>
    <timestamp: Unix seconds>
    <nonce>
    <SHA-256 of the body's bytes, lower-case hex (of nothing for an empty body)>

The signature is HMAC-SHA256 over its UTF-8 bytes, keyed with the secret's ASCII text as shown
once to the bureau, in lower-case hex.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

from vouchers.common import errors

SCHEME = "PXQ-HMAC-SHA256"
WINDOW_S = 300  # a timestamp further off than this from the server's clock is refused
# A nonce is remembered as long as a request carrying it could still be inside the window: a
# request stamped t is accepted from t - 300 to t + 300.
NONCE_TTL_S = 2 * WINDOW_S

PLATFORM = "X-Pxq-Platform"
KEY_ID = "X-Pxq-Key-Id"
TIMESTAMP = "X-Pxq-Timestamp"
NONCE = "X-Pxq-Nonce"
SIGNATURE = "X-Pxq-Signature"

_FORMATS = {
    PLATFORM: re.compile(r"[0-9]{7}"),
    KEY_ID: re.compile(r"[A-Za-z0-9_-]{1,32}"),
    TIMESTAMP: re.compile(r"[0-9]{1,12}"),
    NONCE: re.compile(r"[A-Za-z0-9_-]{16,64}"),
    SIGNATURE: re.compile(r"[0-9a-fA-F]{64}"),
}


@dataclass(frozen=True)
class SignedRequest:
    method: str
    path: str  # percent-decoded, no query
    query: tuple[tuple[str, str], ...]  # decoded pairs, in any order
    platform: str
    key_id: str
    timestamp: str
    nonce: str
    signature: str
    body: bytes


def read_request(
    method: str, path: str, query: Iterable[tuple[str, str]], headers: Mapping[str, str], body: bytes
) -> SignedRequest:
    """The request's signed parts, or PlatformAuthMissing when a header is absent or malformed."""
    values = {}
    for name, pattern in _FORMATS.items():
        value = headers.get(name, "").strip()
        if not pattern.fullmatch(value):
            raise errors.PlatformAuthMissing(f"请求头 {name} 缺失或格式不正确，请按接入文档签名")
        values[name] = value
    return SignedRequest(
        method,
        path,
        tuple(query),
        values[PLATFORM],
        values[KEY_ID],
        values[TIMESTAMP],
        values[NONCE],
        values[SIGNATURE].lower(),
        body,
    )


def _encoded(text: str) -> str:
    # RFC 3986: unreserved characters stay, every other UTF-8 byte is %XX in upper case.
    return quote(text, safe="-._~")


def canonical_query(pairs: Iterable[tuple[str, str]]) -> str:
    # Sorted once encoded: the order a platform gets in any language (decoded text sorts otherwise).
    encoded = sorted((_encoded(name), _encoded(value)) for name, value in pairs)
    return "&".join(f"{name}={value}" for name, value in encoded)


def canonical_string(r: SignedRequest) -> str:
    return "\n".join(
        (
            SCHEME,
            r.method.upper(),
            r.path,
            canonical_query(r.query),
            r.platform,
            r.key_id,
            r.timestamp,
            r.nonce,
            hashlib.sha256(r.body).hexdigest(),
        )
    )


def sign(secret: str, r: SignedRequest) -> str:
    return hmac.new(secret.encode("ascii"), canonical_string(r).encode("utf-8"), hashlib.sha256).hexdigest()


def signed_by(secret: str, r: SignedRequest) -> bool:
    return hmac.compare_digest(sign(secret, r), r.signature)
