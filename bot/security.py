"""Callback authentication: signatures in constant time, the timestamp window, and AES
decryption with the current EncodingAESKey, then the previous one (key rotation).

wechatpy compares signatures with `!=`; we compute them with its WeChatSigner and compare with
hmac.compare_digest. Its PrpCrypto does the AES framing.
"""

from __future__ import annotations

import base64
import hmac
import time
from dataclasses import dataclass

from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.utils import WeChatSigner

from peixunquan.config import WechatOfficialConfig


class Forbidden(Exception):
    """Bad signature or stale timestamp: 403."""


class Undecryptable(ValueError):
    """Signed correctly but no key opens it (or the AppID inside is not ours): 400."""


def signature(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def check_signature(token: str, given: str, *parts: str) -> None:
    if not hmac.compare_digest(signature(token, *parts).encode(), given.encode("utf-8", "replace")):
        raise Forbidden("bad signature")


def check_timestamp(timestamp: str, max_skew_s: int, now: float | None = None) -> None:
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise Forbidden("bad timestamp")
    if abs((now if now is not None else time.time()) - int(timestamp)) > max_skew_s:
        raise Forbidden("stale timestamp")


@dataclass(frozen=True)
class Keys:
    config: WechatOfficialConfig

    def candidates(self) -> list[str]:
        return [k for k in (self.config.encoding_aes_key, self.config.previous_encoding_aes_key) if k]

    def decrypt(self, encrypted: str) -> tuple[str, str]:
        """-> (plaintext XML, the key that opened it)."""
        for key in self.candidates():
            try:
                return PrpCrypto(base64.b64decode(key + "=")).decrypt(encrypted, self.config.app_id), key
            except Exception:  # wrong key: bad padding, garbage length, another AppID
                continue
        raise Undecryptable("no key decrypts this message")

    def encrypt(self, xml: str, key: str, nonce: str, timestamp: str) -> str:
        return WeChatCrypto(self.config.token, key, self.config.app_id).encrypt_message(xml, nonce, timestamp)
