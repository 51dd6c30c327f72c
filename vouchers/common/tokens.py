"""Signed, expiring bearer tokens (bureau users and trainee sessions).

`<base64url(json payload)>.<base64url(HMAC-SHA256)>`. The payload names the kind, the subject,
the expiry and a version the server can bump to revoke every earlier token at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from vouchers.common import errors


@dataclass(frozen=True)
class TokenClaims:
    kind: str
    subject: int
    version: int
    expires_at: int


VERIFIED_CACHE_SIZE = 100_000


class TokenSigner:
    def __init__(self, secret: bytes) -> None:
        # Tokens whose signature checked out: a client sends the same token with every request,
        # and the HMAC, base64 and JSON of each check are a visible share of a cheap request.
        self._verified: dict[str, TokenClaims] = {}
        self._key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"pxq tokens v1").derive(secret)

    def issue(self, kind: str, subject: int, ttl_s: int, version: int = 1) -> str:
        payload = {"k": kind, "s": subject, "v": version, "e": int(time.time()) + ttl_s}
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return f"{body}.{_b64(self._sign(body))}"

    def verify(self, token: str, kind: str) -> TokenClaims:
        claims = self._verified.get(token)
        if claims is None:
            claims = self._verify_signature(token)
            if len(self._verified) >= VERIFIED_CACHE_SIZE:
                self._verified.clear()
            self._verified[token] = claims
        if claims.kind != kind:
            raise errors.Unauthenticated("登录凭证无效")
        if claims.expires_at <= time.time():
            raise errors.TokenExpired()
        return claims

    def _verify_signature(self, token: str) -> TokenClaims:
        body, _, signature = token.partition(".")
        try:
            given = _unb64(signature)
        except ValueError:
            raise errors.Unauthenticated("登录凭证无效") from None
        if not body or not hmac.compare_digest(given, self._sign(body)):
            raise errors.Unauthenticated("登录凭证无效")
        try:
            payload = json.loads(_unb64(body))
            claims = TokenClaims(str(payload["k"]), int(payload["s"]), int(payload["v"]), int(payload["e"]))
        except (ValueError, KeyError, TypeError):
            raise errors.Unauthenticated("登录凭证无效") from None
        return claims

    def _sign(self, body: str) -> bytes:
        return hmac.new(self._key, body.encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    """Strict: only the spelling `_b64` produces. A lax decoder skips stray characters (`T!!`),
    padding (`T=`) and the unused low bits of the last character, so one token had many
    accepted spellings; re-encoding and comparing leaves exactly one."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError("bad base64") from exc
    if _b64(raw) != text:
        raise ValueError("not the canonical base64 spelling")
    return raw
